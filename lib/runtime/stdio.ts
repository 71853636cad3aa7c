// Protects stdout and stderr from everything but the runtime (CONTRACT.md sections 4 and 5).
//
// Imported first by every action entry, before any dependency is loaded: from then on a write to process.stdout or
// process.stderr by anyone else (a stray console.log in a dependency, a Node warning) is diverted into the log as a
// JSON line, and only the runtime, through the functions below, reaches the real streams. Writes to fd 1 and 2
// that bypass the stream objects (fs.writeSync(1, ...)) cannot be caught this way; nothing in this package does that.

type Stream = 'stdout' | 'stderr';
type Sink = (stream: Stream, text: string) => void;

const realStdoutWrite = process.stdout.write.bind(process.stdout);
const realStderrWrite = process.stderr.write.bind(process.stderr);

const MAX_BUFFERED = 64;
let pending: Array<[Stream, string]> = [];
let sink: Sink | undefined;

function divert(stream: Stream, chunk: unknown, encoding?: unknown): void {
  const text =
    typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) || chunk instanceof Uint8Array ? Buffer.from(chunk).toString(typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8') : String(chunk);
  if (text.trim() === '') return;
  if (sink) sink(stream, text);
  else if (pending.length < MAX_BUFFERED) pending.push([stream, text]);
}

function interceptor(stream: Stream) {
  return function write(chunk: unknown, encodingOrCallback?: unknown, callback?: unknown): boolean {
    divert(stream, chunk, typeof encodingOrCallback === 'function' ? undefined : encodingOrCallback);
    const cb = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
    if (typeof cb === 'function') process.nextTick(cb as () => void);
    return true;
  };
}

process.stdout.write = interceptor('stdout') as typeof process.stdout.write;
process.stderr.write = interceptor('stderr') as typeof process.stderr.write;

// Node prints warnings (deprecations, NODE_TLS_REJECT_UNAUTHORIZED, ...) through a 'warning' listener of its own;
// they become log lines instead.
process.removeAllListeners('warning');
process.on('warning', (warning: Error) => divert('stderr', `${warning.name}: ${warning.message}`));

/** Routes stray output (and what was caught before the logger existed) to `fn`. */
export function setStrayOutputSink(fn: Sink): void {
  sink = fn;
  const earlier = pending;
  pending = [];
  for (const [stream, text] of earlier) fn(stream, text);
}

/** Writes one log line to the real stderr. */
export function writeLogLine(line: string): void {
  realStderrWrite(line);
}

/** Writes the result to the real stdout and resolves once it is flushed. */
export function writeResult(text: string): Promise<void> {
  return new Promise((resolve) => {
    realStdoutWrite(text, () => resolve());
  });
}
