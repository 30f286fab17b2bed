// One inference at a time per model: API requests, library calls and the agent's own loop all
// pass through this queue, so two energy windows never overlap. Requests from outside are
// bounded (a full queue refuses at once with how long to wait); a waiting request whose caller
// went away (client disconnected) leaves the queue without running. A job may answer
// synchronously, and may leave work for after its answer (records, tallies: defer()), done before
// the next job starts.

import { EdgewattError } from '../../common/errors.js';

export class QueueFullError extends EdgewattError {
  override readonly name = 'QueueFullError';
  constructor(
    readonly waiting: number,
    /** Seconds after which a retry is likely to find room (≥ 1, as Retry-After counts whole seconds). */
    readonly retryAfterS: number,
  ) {
    super(`${waiting} requests are already waiting; retry in ${retryAfterS} s`, {
      hint: 'send fewer requests at once, or raise --api-queue',
    });
  }
}

export class RequestAbortedError extends EdgewattError {
  override readonly name = 'RequestAbortedError';
}

interface Job {
  /** Starts the job (the queue is held for it) and settles its caller's promise when it ends. */
  start: () => void;
  signal: AbortSignal | undefined;
  abort: () => void;
}

export interface QueueStats {
  /** Jobs run to completion or failure. */
  ran: number;
  /** Refused because the queue was full. */
  refused: number;
  /** Left the queue before running (caller gone). */
  abandoned: number;
}

export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

export class QueueStateError extends EdgewattError {
  override readonly name = 'QueueStateError';
}

export class InferenceQueue {
  private readonly waiting: Job[] = [];
  private busy = false;
  /** Smoothed time one job holds the queue, ms (for Retry-After), over jobs that waited for their turn. */
  private serviceMs = 10;
  readonly stats: QueueStats = { ran: 0, refused: 0, abandoned: 0 };
  /** A job has run since the event loop last turned: the next one waits for a turn. */
  private ranThisTurn = false;
  private turnClearScheduled = false;
  /** Work jobs left for after their answer (defer()), in order; done by settle(). */
  private deferred: (() => void)[] = [];

  /**
   * `maxWaiting`: bounded requests that may wait; more are refused with QueueFullError.
   * `onDeferredError`: a deferred piece of work that threw (its job had answered already).
   */
  constructor(
    private readonly maxWaiting: number,
    private readonly onDeferredError: (error: unknown) => void = () => undefined,
  ) {}

  get depth(): number {
    return this.waiting.length + (this.busy ? 1 : 0);
  }

  /** Whether a job given now starts at once, in its caller's turn (so it never waits). */
  get startsAtOnce(): boolean {
    return !this.busy && this.waiting.length === 0 && !this.ranThisTurn;
  }

  /**
   * Runs `job` when nothing else runs. `bounded: false` is for the agent's own loop, which waits
   * for each of its jobs and so holds at most one place. Rejects with RequestAbortedError when
   * `signal` aborts while waiting; a job that started runs to its end. A job may answer
   * synchronously (a value, not a promise): the queue is then free again as soon as it returns.
   */
  run<T>(job: () => T | Promise<T>, options: { signal?: AbortSignal; bounded?: boolean } = {}): Promise<T> {
    const { signal, bounded = true } = options;
    if (bounded && this.waiting.length >= this.maxWaiting) {
      this.stats.refused++;
      const retryAfterS = Math.max(1, Math.ceil(((this.waiting.length + 1) * this.serviceMs) / 1000));
      return Promise.reject(new QueueFullError(this.waiting.length, retryAfterS));
    }
    if (signal?.aborted) {
      this.stats.abandoned++;
      return Promise.reject(new RequestAbortedError('request aborted before it was queued'));
    }
    return new Promise<T>((resolve, reject) => {
      const entry: Job = {
        signal,
        start: () => {
          try {
            const answer = this.execute(job, performance.now());
            if (isThenable(answer)) answer.then(resolve, reject);
            else resolve(answer);
          } catch (error) {
            reject(error);
          }
        },
        abort: () => {
          const index = this.waiting.indexOf(entry);
          if (index < 0) return; // already running: it finishes
          this.waiting.splice(index, 1);
          this.stats.abandoned++;
          reject(new RequestAbortedError('request aborted while waiting in the queue'));
        },
      };
      signal?.addEventListener('abort', entry.abort, { once: true });
      this.waiting.push(entry);
      this.next();
    });
  }

  /**
   * Runs `job` now, in the caller's turn, when the queue starts a job at once (startsAtOnce; else
   * QueueStateError): its answer comes back as it is, a value when the job answered synchronously,
   * with no promise of the queue's around it. Its exception is thrown here.
   */
  runNow<T>(job: () => T | Promise<T>): T | Promise<T> {
    if (!this.startsAtOnce) throw new QueueStateError('runNow() on a queue that is not idle: use run()');
    this.settle();
    this.busy = true;
    this.ranThisTurn = true;
    // Not timed: serviceMs is for Retry-After, which only jobs that wait are told.
    return this.execute(job, undefined);
  }

  /**
   * Work of the running job for after its caller has the answer (its record, tallies): done in
   * order before the next job starts, at the latest on the next event-loop turn, or when settle()
   * is called (by whatever reads what it updates).
   */
  defer(work: () => void): void {
    this.deferred.push(work);
    this.scheduleTurnClear();
  }

  /** Does the deferred work now. */
  settle(): void {
    if (this.deferred.length === 0) return;
    const works = this.deferred;
    this.deferred = [];
    for (const work of works) {
      try {
        work();
      } catch (error) {
        this.onDeferredError(error);
      }
    }
  }

  /**
   * Runs a started job (the queue is held); frees the queue when it ends, however it ends.
   * `startedMs`: when it started, for the smoothed service time (undefined: not timed).
   */
  private execute<T>(job: () => T | Promise<T>, startedMs: number | undefined): T | Promise<T> {
    let answer: T | Promise<T>;
    try {
      answer = job();
    } catch (error) {
      this.ended(startedMs);
      throw error;
    }
    if (!isThenable(answer)) {
      this.ended(startedMs);
      return answer;
    }
    // Any thenable holds the queue until it settles (a promise from another realm too).
    return Promise.resolve(answer).finally(() => this.ended(startedMs));
  }

  /**
   * Starts the next job. A model call blocks the event loop, so after a job has run the next one
   * starts on a later turn (setImmediate), not in the caller's: requests that arrived meanwhile
   * are read (and queued, refused or abandoned) first. A job that finds the queue idle on a turn
   * where no job has run yet starts at once, in its caller's turn: there is nothing to be fair
   * to, and the hop cost a local API call ~15 µs (issue 14). A caller that calls again from the
   * previous call's continuation (a tight loop) still waits for a turn, so it cannot starve
   * timers and sockets.
   */
  private next(): void {
    if (this.busy || this.waiting.length === 0) return;
    this.busy = true;
    if (this.ranThisTurn) setImmediate(() => this.startNext());
    else this.startNext();
  }

  private startNext(): void {
    const job = this.waiting.shift();
    if (job === undefined) {
      this.busy = false;
      return;
    }
    job.signal?.removeEventListener('abort', job.abort);
    this.settle();
    this.ranThisTurn = true;
    job.start();
  }

  /** The running job has ended: the queue is free, and the next job waits for a loop turn. */
  private ended(startedMs: number | undefined): void {
    this.stats.ran++;
    if (startedMs !== undefined)
      this.serviceMs = 0.8 * this.serviceMs + 0.2 * (performance.now() - startedMs);
    this.busy = false;
    this.scheduleTurnClear();
    this.next();
  }

  private scheduleTurnClear(): void {
    if (this.turnClearScheduled) return;
    // The flag falls once the event loop has turned after this job (I/O read, timers run).
    this.turnClearScheduled = true;
    setImmediate(this.clearTurn);
  }

  private readonly clearTurn = () => {
    this.turnClearScheduled = false;
    this.settle();
    if (!this.busy) this.ranThisTurn = false;
  };
}
