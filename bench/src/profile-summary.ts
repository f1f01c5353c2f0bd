/**
 * `node bench/dist/profile-summary.js <file.cpuprofile> [top]` — where a `--cpu-prof` profile's
 * time went, by package (self time: the code that was running, not its callers) and the top
 * functions. Recipe: bench/README.md, "Profiling".
 */
import { readFileSync } from 'node:fs';
import { printTable } from './report';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly hitCount?: number;
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
}

/** The package a script belongs to: npm package, workspace package or app, Node's own code, or V8's pseudo-frames. */
export function packageOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/.exec(url);
  if (dependency) return dependency[1] as string;
  const workspace = /\/(packages|apps|bench)\/([^/]+)\//.exec(url);
  if (workspace) return workspace[1] === 'packages' ? `@skyway/${workspace[2]}` : `${workspace[1]}/${workspace[2]}`;
  if (url.startsWith('node:')) return 'node (core)';
  return url;
}

function main(): void {
  const [file, top = '25'] = process.argv.slice(2);
  if (!file) throw new Error('usage: node bench/dist/profile-summary.js <file.cpuprofile> [top]');
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const hits = new Map<number, number>();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const total = profile.samples.length;
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const [id, count] of hits) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const pkg = packageOf(url, functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + count);
    const name = `${functionName || '(anonymous)'} ${pkg}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + count);
  }
  const busy = total - (byPackage.get('(idle)') ?? 0);
  const rows = (entries: Map<string, number>, label: string) =>
    [...entries]
      .filter(([name]) => !name.startsWith('(idle)'))
      .sort(([, a], [, b]) => b - a)
      .slice(0, Number(top))
      .map(([name, count]) => ({ [label]: name, '% of busy samples': (count / busy) * 100 }));
  console.log(`${file}: ${total} samples over ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s, ${((busy / total) * 100).toFixed(0)} % busy`);
  printTable('self time by package', rows(byPackage, 'package'));
  printTable('self time by function', rows(byFunction, 'function'));
}

main();
