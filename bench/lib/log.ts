/** One line of the bench's progress and report, on stdout. */
export const log = (line: string) => process.stdout.write(`${line}\n`);
