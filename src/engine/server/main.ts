// The engine's child-process entry: the extension host forks it (serialization 'advanced') so
// that a native crash or an out-of-memory in ONNX Runtime cannot take the host down. Everything
// goes over the IPC channel; stdout stays unused.
import type { EngineToHost } from '../../protocol/engineProtocol';
import { checkHostMessage, type Reply } from './hostMessage';
import { Conversions } from './conversions';
import { JobQueue } from './jobQueue';

/** Long enough to flush the last messages over a healthy channel, short enough not to hang. */
const EXIT_FLUSH_LIMIT_MS = 2000;

const channel = process.send?.bind(process);
if (!channel) {
  process.stderr.write('The engine server talks over an IPC channel: start it with child_process.fork.\n');
  process.exit(2);
}

function send(message: EngineToHost, sent?: () => void): void {
  channel?.(message, undefined, {}, (error) => {
    // The host is gone or the channel broke; stderr is all that is left.
    if (error) process.stderr.write(`engine message ${message.type} not sent: ${error.message}\n`);
    sent?.();
  });
}

/** Sends the last words, then exits once they are written (or after a limit, if they cannot be). */
function sendThenExit(messages: EngineToHost[], code: number): void {
  setTimeout(() => process.exit(code), EXIT_FLUSH_LIMIT_MS);
  messages.forEach((message, i) => send(message, i === messages.length - 1 ? () => process.exit(code) : undefined));
}

const queue = new JobQueue((message) => send(message));
const conversions = new Conversions((message) => send(message));

process.on('message', (received: unknown) => {
  const checked = checkHostMessage(received);
  if (!checked.ok) return refuse(checked.problem, checked.reply);
  const message = checked.message;
  switch (message.type) {
    case 'configure':
      return queue.configure(message.config);
    case 'generate':
      return queue.submit(message.job);
    case 'cancel':
      return queue.cancel(message.jobId);
    case 'countTokens':
      return queue.countTokens(message.requestId, message.modelDir, message.texts, message.weighting);
    case 'convert':
      return conversions.start(message.request);
    case 'cancelConvert':
      return conversions.cancel(message.requestId);
    case 'unload':
      return queue.unload();
    case 'shutdown':
      void Promise.all([queue.shutdown(), conversions.cancelAll()]).then(() =>
        sendThenExit([{ type: 'state', state: { kind: 'idle', modelLoaded: false } }], 0),
      );
      return;
  }
});

/** A job, token request or conversion with a usable id fails on its own; anything else is only logged. */
function refuse(problem: string, reply: Reply | undefined): void {
  if (reply && 'jobId' in reply) return send({ type: 'failed', jobId: reply.jobId, message: problem, code: 'bad-request' });
  if (reply && 'convertId' in reply) return send({ type: 'convertFailed', requestId: reply.convertId, message: problem, code: 'bad-request' });
  if (reply) return send({ type: 'tokenCountsFailed', requestId: reply.requestId, message: problem });
  send({ type: 'log', level: 'warn', message: `ignored a message the protocol does not allow: ${problem}` });
}

// Without a host there is nobody to report to; staying alive would only hold memory.
process.on('disconnect', () => process.exit(0));

let crashed = false;
function crash(error: unknown): void {
  if (crashed) return;
  crashed = true;
  const summary = error instanceof Error ? error.message : String(error);
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  const jobId = queue.runningJobId;
  const messages: EngineToHost[] = [];
  if (jobId) {
    messages.push({ type: 'failed', jobId, message: `The image engine hit an unexpected error: ${summary}`, code: 'internal' });
  }
  messages.push({ type: 'log', level: 'error', message: `engine stopping after an unexpected error: ${detail}` });
  sendThenExit(messages, 1);
}
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);

send({ type: 'ready', pid: process.pid });
