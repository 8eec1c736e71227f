/*
 * buildProgram registers only the command the arguments name (src/cli/program.ts): that command's
 * help, and every subcommand's, must be what it is with every command registered.
 */
import type { Command } from 'commander';
import { commandWord, rewriteHelp } from '../../src/cli/main';
import { buildProgram } from '../../src/cli/program';
import { registrars } from '../../src/cli/commands';

const helps = (cmd: Command): string[] => [cmd.helpInformation(), ...cmd.commands.flatMap(helps)];

test.each(registrars.map((r) => [r.name]))(
  "%s registered alone: it is the only command, and its help and its subcommands' are unchanged",
  (name) => {
    const all = buildProgram('0.0.0-test', () => undefined).commands.find((c) => c.name() === name);
    const alone = buildProgram(
      '0.0.0-test',
      () => undefined,
      () => undefined,
      name,
    );
    expect(alone.commands.map((c) => c.name())).toEqual([name]);
    expect(all).toBeDefined();
    expect(helps(alone.commands[0])).toEqual(helps(all as Command));
  },
);

test('no command, or a word no command has, registers every command in help order', () => {
  const names = registrars.map((r) => r.name);
  expect(buildProgram('0.0.0-test', () => undefined).commands.map((c) => c.name())).toEqual(names);
  expect(
    buildProgram(
      '0.0.0-test',
      () => undefined,
      () => undefined,
      'exprot',
    ).commands.map((c) => c.name()),
  ).toEqual(names);
});

test.each([
  [['-C', 'dir', '--json', 'export'], 'export'],
  [['--config', 'x.json', 'sync', 'check', '--to', '1.1.55'], 'sync'],
  [['-q', 'help', 'sync', 'check'], 'sync'],
  [['--help'], undefined],
  [[], undefined],
])('the command word of meshfork %j is %s', (args, word) => {
  expect(commandWord(rewriteHelp(['node', 'meshfork', ...args]))).toBe(word);
});
