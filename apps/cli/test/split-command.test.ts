import { describe, expect, it } from 'vitest';
import { gatewayPortFromEnv, httpAddress } from '../src/commands/gateway.js';
import { parseEnvFlags } from '../src/commands/mcp.js';
import { UsageError } from '../src/errors.js';
import { CommandSplitError, splitCommand } from '../src/split-command.js';

describe('splitCommand', () => {
  it.each([
    ['node server.js stdio', ['node', 'server.js', 'stdio']],
    ['  node\tserver.js \n stdio  ', ['node', 'server.js', 'stdio']],
    ["node '/path with spaces/s.js'", ['node', '/path with spaces/s.js']],
    ['node "/path with spaces/s.js"', ['node', '/path with spaces/s.js']],
    ['node /path\\ with\\ spaces/s.js', ['node', '/path with spaces/s.js']],
    [`a 'it'"'"'s'`, ['a', "it's"]],
    ['a "say \\"hi\\"" b', ['a', 'say "hi"', 'b']],
    ['a "back\\\\slash" "keep\\n"', ['a', 'back\\slash', 'keep\\n']],
    ["a '\\n$HOME*' b", ['a', '\\n$HOME*', 'b']],
    ['a "\\$HOME"', ['a', '$HOME']],
    ['a \'\' "" b', ['a', '', '', 'b']],
    ['a pre"mid"\'post\' b', ['a', 'premidpost', 'b']],
    ['a \\\nb', ['a', 'b']],
    ['a "x\\\ny"', ['a', 'xy']],
    ['--flag=value a~b c#d e]f g}h', ['--flag=value', 'a~b', 'c#d', 'e]f', 'g}h']],
    ['npx -y @scope/pkg@1.2.3 --port=0', ['npx', '-y', '@scope/pkg@1.2.3', '--port=0']],
  ])('splits %j', (input, expected) => {
    expect(splitCommand(input)).toEqual(expected);
  });

  it.each([
    ['', /is empty/],
    ['   \t\n', /is empty/],
    ["node 'open", /unterminated single quote/],
    ['node "open', /unterminated double quote/],
    ['node \\', /lone backslash/],
    ['echo $HOME', /unquoted "\$"/],
    ['echo `id`', /unquoted "`"/],
    ['echo "$HOME"', /"\$" inside double quotes/],
    ['echo "`id`"', /"`" inside double quotes/],
    ['a | b', /unquoted "\|"/],
    ['a && b', /unquoted "&"/],
    ['a; b', /unquoted ";"/],
    ['a > out', /unquoted ">"/],
    ['a < in', /unquoted "<"/],
    ['(a)', /unquoted "\("/],
    ['ls *.js', /unquoted "\*"/],
    ['ls file?.js', /unquoted "\?"/],
    ['ls [ab].js', /unquoted "\["/],
    ['echo {a,b}', /unquoted "\{"/],
    ['cat ~/x', /unquoted "~"/],
    ['a # comment', /unquoted "#"/],
    ['a\u0000b', /NUL/],
  ])('refuses %j', (input, message) => {
    expect(() => splitCommand(input)).toThrow(CommandSplitError);
    expect(() => splitCommand(input)).toThrow(message);
  });

  it('never echoes the input in its errors', () => {
    const secret = 'sk_live_0123456789abcdef';
    for (const input of [`tool --key ${secret} 'open`, `tool --key "${secret}`, `tool ${secret} | x`]) {
      expect(() => splitCommand(input)).toThrow(CommandSplitError);
      try {
        splitCommand(input);
      } catch (error) {
        expect((error as Error).message).not.toContain(secret);
      }
    }
  });
});

describe('parseEnvFlags', () => {
  it('takes NAME=VALUE, keeps "=" inside values, and reads NAME alone from the environment', () => {
    expect(parseEnvFlags(['A=1', 'B=x=y', 'C=', 'FROM_ENV'], { FROM_ENV: 'env value' })).toEqual({
      A: '1',
      B: 'x=y',
      C: '',
      FROM_ENV: 'env value',
    });
  });

  it.each([
    [['=secretvalue'], /--env entry #1 is not NAME=VALUE/],
    [['A=1', '1BAD=secretvalue'], /--env entry #2 is not NAME=VALUE/],
    [['with space=secretvalue'], /--env entry #1/],
    [['A=1', 'A=secretvalue'], /--env A sets a variable that an earlier --env already set/],
    [['A=1', 'secretvalue'], /--env entry #2 names a variable that is not set/],
  ])('refuses %j without showing a value', (entries, message) => {
    expect(() => parseEnvFlags(entries, {})).toThrow(UsageError);
    expect(() => parseEnvFlags(entries, {})).toThrow(message);
    try {
      parseEnvFlags(entries, {});
    } catch (error) {
      expect((error as Error).message).not.toContain('secretvalue');
    }
  });
});

describe('gateway flags', () => {
  it('reads [HOST:]PORT with a loopback default host', () => {
    expect(httpAddress('8765')).toBe('127.0.0.1:8765');
    expect(httpAddress('localhost:9000')).toBe('localhost:9000');
    expect(httpAddress('[::1]:9000')).toBe('[::1]:9000');
    for (const bad of ['', 'host', '127.0.0.1:', '127.0.0.1:99999', ':80', 'a:b:c']) {
      expect(() => httpAddress(bad), bad).toThrow(UsageError);
    }
  });

  it('takes the default port from BRIEFCASE_GATEWAY_PORT, refusing anything but a port', () => {
    expect(gatewayPortFromEnv({})).toBe(8765);
    expect(gatewayPortFromEnv({ BRIEFCASE_GATEWAY_PORT: '' })).toBe(8765);
    expect(gatewayPortFromEnv({ BRIEFCASE_GATEWAY_PORT: '9001' })).toBe(9001);
    for (const bad of ['0', '65536', 'abc', '80 ', '-1', '1e3']) {
      expect(() => gatewayPortFromEnv({ BRIEFCASE_GATEWAY_PORT: bad }), bad).toThrow(UsageError);
    }
  });
});
