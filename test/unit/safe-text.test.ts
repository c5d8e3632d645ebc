import { describe, expect, it } from 'vitest';
import { resumeCommand } from '../../cli/args';
import { makePrinter } from '../../cli/progress-printer';
import { escapeControls } from '../../cli/safe-text';

describe('what the terminal shows', () => {
  it('escapes control characters in names instead of obeying them', () => {
    expect(escapeControls('a\nb\r\tc\x1b]0;title\x07\x9b')).toBe('a\\nb\\r\\tc\\x1b]0;title\\x07\\x9b');
  });

  it('a file name cannot forge a log line or retitle the terminal', () => {
    const lines: string[] = [];
    const print = makePrinter({ tty: false }, { write: () => true }, () => 0, (line) => lines.push(line));
    print({ type: 'skipped', file: { path: 'rose/x\n[INFO] wrote /etc/passwd\x1b]0;pwned\x07.jpg', reason: 'is empty (0 bytes)' } });
    expect(lines).toEqual(['[WARN] skipped rose/x\\n[INFO] wrote /etc/passwd\\x1b]0;pwned\\x07.jpg: is empty (0 bytes)']);
  });

  it('says how to continue a stopped run with the flags --resume takes', () => {
    expect(resumeCommand(['--dataset', 'my photos', '--model', 'out/m', '--size', '64', '--head-lr', '1e-4', '--backend=wasm', '--verbose'])).toBe(
      "npm run finetune -- --dataset 'my photos' --model out/m --backend=wasm --verbose --resume",
    );
  });
});
