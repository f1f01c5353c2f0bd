/**
 * A strict reader of the Prometheus text exposition format (0.0.4) for tests: a `/metrics`
 * body either parses completely or throws naming the line. Written here because the npm
 * parsers (parse-prometheus-text-format 1.1, exposition 1.2) merge or mangle the series of a
 * labelled histogram, and prom2javascript rejects the `Nan` prom-client writes.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  /** The sample's own name: `x_bucket`, `x_sum`, `x_count` for a histogram `x`. */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface MetricFamily {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Readonly<Record<MetricType, readonly string[]>> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/** A float as Go's ParseFloat reads it, which is what Prometheus uses: `NaN`/`Inf` in any case (prom-client writes `Nan`). */
function parseValue(text: string): number {
  const special = /^([-+]?)(nan|inf|infinity)$/i.exec(text);
  if (special) {
    if (special[2]?.toLowerCase() === 'nan') return Number.NaN;
    return special[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`invalid value ${JSON.stringify(text)}`);
  return Number(text);
}

/** `{a="1",b="x\"y"}` at the start of `text`: the labels and the rest of the line. */
function parseLabels(text: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1;
  for (;;) {
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
    const name = LABEL_NAME.exec(text.slice(i))?.[0];
    if (name === undefined) throw new Error(`invalid label name at ${JSON.stringify(text.slice(i))}`);
    if (name in labels) throw new Error(`label ${name} appears twice`);
    i += name.length;
    if (text.slice(i, i + 2) !== '="') throw new Error(`expected =" after label ${name}`);
    i += 2;
    let value = '';
    for (;;) {
      const char = text[i];
      if (char === undefined) throw new Error(`unterminated value of label ${name}`);
      i += 1;
      if (char === '"') break;
      if (char !== '\\') {
        value += char;
        continue;
      }
      const escaped = text[i];
      i += 1;
      if (escaped === '\\' || escaped === '"') value += escaped;
      else if (escaped === 'n') value += '\n';
      else throw new Error(`invalid escape \\${escaped ?? ''} in label ${name}`);
    }
    labels[name] = value;
    if (text[i] === ',') i += 1;
    else if (text[i] !== '}') throw new Error(`expected , or } after label ${name}`);
  }
}

function familyOf(families: Map<string, MetricFamily>, sampleName: string): MetricFamily | undefined {
  for (const family of families.values()) {
    if (SUFFIXES[family.type].some((suffix) => family.name + suffix === sampleName)) return family;
  }
  return undefined;
}

/** Parses a whole exposition; throws `line N: …` on the first line that is not valid. */
export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const family = (name: string): MetricFamily => {
    let found = families.get(name);
    if (found === undefined) {
      found = { name, type: 'untyped', help: '', samples: [] };
      families.set(name, found);
    }
    return found;
  };
  text.split('\n').forEach((line, index) => {
    try {
      if (line.trim() === '') return;
      const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (meta) {
        const [, keyword, name = '', rest = ''] = meta;
        if (!METRIC_NAME.test(name) || METRIC_NAME.exec(name)?.[0] !== name) throw new Error(`invalid metric name ${name}`);
        if (keyword === 'HELP') {
          Object.assign(family(name), { help: rest.replace(/\\n/g, '\n').replace(/\\\\/g, '\\') });
          return;
        }
        if (!TYPES.has(rest as MetricType)) throw new Error(`unknown type ${JSON.stringify(rest)}`);
        const target = family(name);
        if (target.samples.length > 0) throw new Error(`TYPE of ${name} after its samples`);
        Object.assign(target, { type: rest });
        return;
      }
      if (line.startsWith('#')) return;
      const name = METRIC_NAME.exec(line)?.[0];
      if (name === undefined) throw new Error('expected a metric name');
      let rest = line.slice(name.length);
      let labels: Record<string, string> = {};
      if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest));
      const fields = rest.trim().split(/\s+/);
      if (!rest.startsWith(' ') || fields.length < 1 || fields.length > 2) throw new Error('expected " value [timestamp]"');
      const value = parseValue(fields[0] as string);
      if (fields[1] !== undefined && !/^-?\d+$/.test(fields[1])) throw new Error(`invalid timestamp ${fields[1]}`);
      const owner = familyOf(families, name) ?? family(name);
      if (owner.type === 'histogram' && name.endsWith('_bucket') && labels.le === undefined) throw new Error('histogram bucket without le');
      owner.samples.push({ name, labels, value });
    } catch (error) {
      throw new Error(`line ${index + 1}: ${(error as Error).message}: ${line}`);
    }
  });
  return families;
}

/** The value of the one sample named `name` whose labels include `labels`; undefined when none matches. */
export function sampleValue(families: Map<string, MetricFamily>, name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  const owner = familyOf(families, name);
  const matches = (owner?.samples ?? []).filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  if (matches.length > 1) throw new Error(`${matches.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return matches[0]?.value;
}
