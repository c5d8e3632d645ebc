import { describe, expect, it } from 'vitest';
import type { TrainEvent } from '../../src/protocol';
import { EventRelay } from '../../src/run/event-relay';
import { OneAtATime } from '../../src/run/one-at-a-time';

// The worker's state between calls (src/run/worker-state.ts) rests on these two: a call's answer never
// overtakes the events it sent, and side work that may start a backend never overlaps.

const info = (message: string): TrainEvent => ({ type: 'info', message });

describe('EventRelay', () => {
  it("answers a call only once the events it sent have reached the page's listener", async () => {
    const order: string[] = [];
    let arrive!: () => void;
    const relay = new EventRelay(() => undefined);
    relay.listen(() => new Promise<void>((resolve) => (arrive = () => (order.push('event'), resolve()))));
    const answer = relay.settled((async () => (relay.deliver(info('sent')), 'answer'))()).then((value) => order.push(value));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(order).toEqual([]);
    arrive();
    await answer;
    expect(order).toEqual(['event', 'answer']);
  });

  it('loses the event, not the call, when its delivery fails; releases the listener it drops', async () => {
    const released: unknown[] = [];
    const relay = new EventRelay((callback) => released.push(callback));
    const listener = (): Promise<void> => Promise.reject(new Error('page gone'));
    relay.listen(listener);
    relay.deliver(info('lost'));
    await expect(relay.settled(Promise.reject(new Error('work failed')))).rejects.toThrow('work failed');
    relay.unlisten();
    relay.deliver(info('nowhere'));
    expect(released).toEqual([listener]);
  });
});

describe('OneAtATime', () => {
  it('starts each piece of work after the one before has ended, failed or not', async () => {
    const queue = new OneAtATime();
    const order: string[] = [];
    const first = queue.run(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      order.push('first');
      throw new Error('first failed');
    });
    const second = queue.run(async () => (order.push('second'), 2));
    await expect(first).rejects.toThrow('first failed');
    await expect(second).resolves.toBe(2);
    expect(order).toEqual(['first', 'second']);
  });
});
