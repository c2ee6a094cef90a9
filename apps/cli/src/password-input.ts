import { CommandError, Interrupted, UsageError } from './cli-errors';

/** The variable a script may set instead of typing the password or piping it in. */
export const PASSWORD_VARIABLE = 'CLI_PASSWORD';

export interface PasswordSource {
  /** --password-stdin: the whole of standard input (one trailing newline dropped) */
  fromStdin: boolean;
  env: NodeJS.ProcessEnv;
  stdin?: NodeJS.ReadStream;
  /** where the prompt is written: stderr, so that stdout stays the command's output */
  prompt?: NodeJS.WriteStream;
}

/**
 * A new password, never from the command line (it would stay in the shell history and in every
 * process listing): --password-stdin, else CLI_PASSWORD, else asked twice on the terminal
 * without echo. With none of them (a script without a terminal) it is a usage error.
 */
export async function readNewPassword(source: PasswordSource): Promise<string> {
  const stdin = source.stdin ?? process.stdin;
  const prompt = source.prompt ?? process.stderr;
  if (source.fromStdin) {
    const value = (await readAll(stdin)).replace(/\r?\n$/, '');
    if (!value) throw new UsageError('--password-stdin: standard input was empty');
    return value;
  }
  const fromEnv = source.env[PASSWORD_VARIABLE];
  if (fromEnv) return fromEnv;
  if (!stdin.isTTY) {
    throw new UsageError(`no password: pipe it in with --password-stdin, set ${PASSWORD_VARIABLE}, or run the command in a terminal to be asked for it`);
  }
  const first = await askHidden('Password: ', stdin, prompt);
  const second = await askHidden('Repeat the password: ', stdin, prompt);
  if (first !== second) throw new CommandError('the two passwords differ; nothing was changed');
  if (!first) throw new CommandError('the password is empty; nothing was changed');
  return first;
}

async function readAll(stream: NodeJS.ReadStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

/** One line from the terminal in raw mode, echoing nothing; Ctrl-C interrupts. */
function askHidden(question: string, stdin: NodeJS.ReadStream, prompt: NodeJS.WriteStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (outcome: () => void) => {
      stdin.removeListener('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      prompt.write('\n');
      outcome();
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish(() => resolve(value));
        if (ch === '\u0003') return finish(() => reject(new Interrupted()));
        if (ch === '\u0004' && !value) return finish(() => resolve(value));
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    prompt.write(question);
    stdin.setEncoding('utf8');
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}
