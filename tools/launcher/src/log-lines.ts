import { prettyFactory } from 'pino-pretty';
import { styleText } from 'node:util';

type Colour = Parameters<typeof styleText>[0];
const COLOURS: readonly Colour[] = ['cyan', 'magenta', 'yellow', 'green', 'blue'];

export interface LineFormatter {
  /** One child output line, pino JSON made readable, each resulting line prefixed with the service name. */
  (line: string): string;
}

/**
 * Formats the output of the process at `index` among those printed side by side: a padded,
 * coloured `name |` prefix, and pino's JSON lines as one readable line each (other text as is).
 */
export function lineFormatter(name: string, index: number, width: number, colour: boolean): LineFormatter {
  const pretty = prettyFactory({ colorize: colour, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service', singleLine: true });
  const label = `${name.padEnd(width)} |`;
  const prefix = colour ? styleText(COLOURS[index % COLOURS.length] ?? 'cyan', label) : label;
  // pino-pretty spreads an error's stack over several lines: each gets the prefix.
  return (line) =>
    (line.startsWith('{') ? pretty(line).trimEnd() : line)
      .split('\n')
      .map((part) => `${prefix} ${part}`)
      .join('\n');
}
