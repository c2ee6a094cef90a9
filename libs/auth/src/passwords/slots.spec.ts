import { Slots } from './password-hasher';

describe('Slots', () => {
  const deferred = () => {
    let resolve!: () => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    return { promise, resolve, reject };
  };
  const tick = () => new Promise((r) => setImmediate(r));

  it('runs at most `size` tasks at once and starts the others in arrival order', async () => {
    const slots = new Slots(2);
    const gates = [deferred(), deferred(), deferred(), deferred()];
    const started: number[] = [];
    const done = gates.map((g, i) => slots.run(async () => (started.push(i), g.promise)));
    await tick();
    expect(started).toEqual([0, 1]);
    gates[1].resolve();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    gates[0].resolve();
    await tick();
    expect(started).toEqual([0, 1, 2, 3]);
    gates[2].resolve();
    gates[3].resolve();
    await Promise.all(done);
  });

  it('frees the slot of a task that fails, and passes the failure on', async () => {
    const slots = new Slots(1);
    await expect(slots.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(slots.run(async () => 42)).resolves.toBe(42);
    const gate = deferred();
    const first = slots.run(() => gate.promise);
    let secondStarted = false;
    const second = slots.run(async () => void (secondStarted = true));
    await tick();
    expect(secondStarted).toBe(false);
    gate.reject(new Error('late'));
    await expect(first).rejects.toThrow('late');
    await second;
    expect(secondStarted).toBe(true);
  });
});
