import { DockerfileParser, ModifiableInstruction, type Instruction } from 'dockerfile-ast';
import { readRepoFile } from './compose-file';

/** One `FROM … AS name` stage and its instructions, in order. */
export interface Stage {
  readonly image: string;
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

export function readStages(path: string): Stage[] {
  const stages: { image: string; name: string | undefined; instructions: Instruction[] }[] = [];
  for (const instruction of DockerfileParser.parse(readRepoFile(path)).getInstructions()) {
    const args = instruction.getArguments().map((argument) => argument.getValue());
    if (instruction.getKeyword() === 'FROM') {
      stages.push({ image: args[0] ?? '', name: args[1]?.toUpperCase() === 'AS' ? args[2] : undefined, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

export const keyword = (name: string) => (instruction: Instruction) => instruction.getKeyword() === name;
export const argumentsOf = (instruction: Instruction): string[] => instruction.getArguments().map((argument) => argument.getValue());

/** `--name=value` flags of an instruction (COPY --from=…), as `name=value`. */
export const flagsOf = (instruction: Instruction): string[] =>
  instruction instanceof ModifiableInstruction ? instruction.getFlags().map((flag) => `${flag.getName()}=${flag.getValue() ?? ''}`) : [];
