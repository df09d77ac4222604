import { BoundedWork, WorkSaturatedError } from './bounded-work';

/** A fake slow job: it runs until the test ends it. */
function slowJob() {
  let finish!: (value: string) => void;
  let fail!: (error: Error) => void;
  let started = false;
  const done = new Promise<string>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return {
    job: () => {
      started = true;
      return done;
    },
    get started() {
      return started;
    },
    finish,
    fail,
  };
}

/** Lets every settled promise's callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe(BoundedWork.name, () => {
  afterEach(() => jest.useRealTimers());

  it('runs at most `concurrency` jobs at once, queues `queueMax` more, and refuses any beyond at once', async () => {
    const sut = new BoundedWork(2, 3, 60_000);
    const jobs = Array.from({ length: 30 }, () => slowJob());
    const outcomes = jobs.map((j) => sut.run(j.job).then((value) => value, (error: unknown) => error));
    await settle();

    expect(jobs.filter((j) => j.started)).toHaveLength(2);
    expect(sut.running).toBe(2);
    expect(sut.queued).toBe(3);
    // the 25 beyond are already answered, with nothing having finished or timed out
    const refused = await Promise.all(outcomes.slice(5));
    for (const error of refused) expect(error).toBeInstanceOf(WorkSaturatedError);
    expect(jobs.slice(5).some((j) => j.started)).toBe(false);

    // each finished job hands its slot to the next in line, first come first served
    jobs[0].finish('a');
    await settle();
    expect(jobs.map((j) => j.started).slice(0, 5)).toEqual([true, true, true, false, false]);
    for (const j of jobs.slice(1, 5)) j.finish('b');
    await settle();
    await settle();
    expect(await Promise.all(outcomes.slice(0, 5))).toEqual(['a', 'b', 'b', 'b', 'b']);
    expect({ running: sut.running, queued: sut.queued }).toEqual({ running: 0, queued: 0 });
  });

  it('refuses a queued job that waited maxWaitMs for a slot, and never runs it', async () => {
    jest.useFakeTimers();
    const sut = new BoundedWork(1, 5, 1000);
    const running = slowJob();
    const waiting = slowJob();
    const first = sut.run(running.job);
    const second = sut.run(waiting.job).catch((error: unknown) => error);
    jest.advanceTimersByTime(999);
    expect(sut.queued).toBe(1);
    jest.advanceTimersByTime(1);
    expect(await second).toBeInstanceOf(WorkSaturatedError);
    expect(sut.queued).toBe(0);
    running.finish('done');
    await expect(first).resolves.toBe('done');
    expect(waiting.started).toBe(false);
    expect(sut.running).toBe(0);
  });

  it('frees the slot of a job that fails', async () => {
    const sut = new BoundedWork(1, 0, 1000);
    const failing = slowJob();
    const outcome = sut.run(failing.job);
    await expect(sut.run(async () => 'no room')).rejects.toBeInstanceOf(WorkSaturatedError);
    failing.fail(new Error('argon2 failed'));
    await expect(outcome).rejects.toThrow('argon2 failed');
    await expect(sut.run(async () => 'room again')).resolves.toBe('room again');
  });
});
