import * as tf from '@tensorflow/tfjs';

// The current backend's WebGPU device: its limits, and its loss. A device can be lost at any time (a
// driver reset, another tab's crash, the browser reclaiming memory). TF.js keeps using the dead device,
// so every later kernel or read fails; this module notices the loss and starts the backend afresh on a
// new device.

interface LosableDevice {
  lost: Promise<{ reason: string; message: string }>;
  destroy(): void;
  limits: { maxStorageBufferBindingSize: number; maxBufferSize: number };
}

const lostDevices = new WeakMap<object, string>();
const watched = new WeakSet<object>();

function deviceOf(backend: tf.KernelBackend | null): LosableDevice | null {
  const device = (backend as { device?: unknown } | null)?.device;
  return device && typeof device === 'object' && 'lost' in device ? (device as LosableDevice) : null;
}

/** The current backend's device, without starting a backend when none is up yet. */
function currentDevice(): LosableDevice | null {
  return deviceOf(tf.engine().backendName ? tf.engine().backend : null);
}

/** Starts listening for the loss of the current backend's GPU device (webgpu only; others have none). */
export function watchDevice(): void {
  const device = deviceOf(tf.engine().backend);
  if (!device || watched.has(device)) return;
  watched.add(device);
  void device.lost.then((info) => lostDevices.set(device, `${info.reason || 'unknown reason'}${info.message ? `: ${info.message}` : ''}`));
}

/** The largest tensor (bytes) a kernel of the current backend can read in one binding; null without a GPU device. */
export function deviceBufferLimit(): number | null {
  const device = currentDevice();
  return device ? Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize) : null;
}

/** Why the current backend's device was lost, or null while it is alive (or has none). */
export function lostDevice(): string | null {
  const device = currentDevice();
  return device ? (lostDevices.get(device) ?? null) : null;
}

/** Loses the current backend's device on purpose (tests and drills); throws when it has none. */
export function destroyDevice(): void {
  const device = deviceOf(tf.engine().backend);
  if (!device) throw new Error(`the ${tf.getBackend()} backend has no GPU device to lose`);
  device.destroy();
}

/**
 * Drops `name`'s backend (and every tensor on it) and registers its factory again, so the next
 * activation starts it from scratch: for webgpu, on a newly requested device.
 */
export function restartBackend(name: string): void {
  const registry = (tf.engine() as unknown as { registryFactory: Record<string, { priority: number } | undefined> }).registryFactory;
  const factory = tf.findBackendFactory(name);
  const priority = registry[name]?.priority ?? 1;
  if (!factory) return;
  tf.removeBackend(name);
  tf.registerBackend(name, factory, priority);
}
