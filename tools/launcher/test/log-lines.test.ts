import { lineFormatter } from '../src/log-lines';

describe('lineFormatter', () => {
  const format = lineFormatter('provider-service', 1, 17, false);

  it('prefixes plain text with the padded service name', () => {
    expect(format('provider-service: invalid configuration: PORT must be integer')).toBe(
      'provider-service  | provider-service: invalid configuration: PORT must be integer',
    );
  });

  it('shows a pino line as level and message, and prefixes every line an error spreads over', () => {
    const line = JSON.stringify({ level: 50, time: 0, service: 'provider-service', msg: 'boom', err: { type: 'Error', message: 'x', stack: 'Error: x\n    at here' } });
    const lines = format(line).split('\n');
    expect(lines.length).toBeGreaterThan(1);
    expect(lines[0]).toMatch(/^provider-service {2}\| \[[0-9:.]+\] ERROR: boom/);
    expect(lines.every((part) => part.startsWith('provider-service  | '))).toBe(true);
    expect(lines.join('\n')).toContain('at here');
  });
});
