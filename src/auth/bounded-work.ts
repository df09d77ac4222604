/** run() refused the job: every slot and the whole queue were taken, or it waited its longest for a slot. */
export class WorkSaturatedError extends Error {
  constructor(reason: 'queue full' | 'waited too long') {
    super(`Saturated: ${reason}`);
    this.name = WorkSaturatedError.name;
  }
}

interface Waiter {
  start(): void;
  timer: NodeJS.Timeout;
}

/**
 * A semaphore with a short, bounded queue. At most `concurrency` jobs run at once; up to `queueMax` more wait,
 * first come first served, each at most `maxWaitMs`. Beyond that, run() rejects at once with WorkSaturatedError:
 * a flood is answered at once instead of piling up behind work that will not end in time.
 */
export class BoundedWork {
  private active = 0;
  private readonly waiting: Waiter[] = [];

  constructor(
    readonly concurrency: number,
    readonly queueMax: number,
    readonly maxWaitMs: number,
  ) {}

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await job();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.active < this.concurrency) {
      this.active++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.queueMax) return Promise.reject(new WorkSaturatedError('queue full'));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        start: () => {
          clearTimeout(waiter.timer);
          resolve();
        },
        timer: setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(waiter), 1);
          reject(new WorkSaturatedError('waited too long'));
        }, this.maxWaitMs),
      };
      this.waiting.push(waiter);
    });
  }

  private release(): void {
    // the slot passes straight to the next waiter, so `active` never drops below what is running
    const next = this.waiting.shift();
    if (next) next.start();
    else this.active--;
  }
}
