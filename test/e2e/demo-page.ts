import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures';

/** The demo as a person sees it: the element's controls by their labels and texts. */
export class DemoPage {
  readonly trainer: Locator;

  constructor(readonly page: Page) {
    this.trainer = page.locator('finetune-trainer').first();
    page.on('pageerror', (error) => console.error(`[page] ${error.message}`));
    page.on('dialog', (dialog) => {
      throw new Error(`unexpected dialog: ${dialog.message()}`);
    });
  }

  async open(url: string): Promise<void> {
    // Every Content-Security-Policy violation the page sees, for cspViolations().
    await this.page.addInitScript(() => {
      const seen: string[] = [];
      Object.assign(window, { cspViolations: seen });
      document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    await this.page.goto(`${url}/`);
    await expect(this.trainer.getByRole('heading', { name: '1. Your images' })).toBeVisible();
  }

  /** Fills the settings form by its labels (opening "Advanced", where most of them are). */
  async configure(values: Record<string, string>): Promise<void> {
    const advanced = this.trainer.locator('details.advanced');
    if (!(await advanced.evaluate((d) => (d as HTMLDetailsElement).open))) await advanced.locator('summary').click();
    for (const [label, value] of Object.entries(values)) {
      const field = this.trainer.getByLabel(label, { exact: true });
      if ((await field.evaluate((e) => e.tagName)) === 'SELECT') await field.selectOption(value);
      else {
        await field.fill(value);
        await field.blur(); // a person leaves the field: its change counts (the preset, the estimate)
      }
    }
  }

  cspViolations(): Promise<string[]> {
    return this.page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
  }

  button(name: string | RegExp): Locator {
    return this.trainer.getByRole('button', { name });
  }

  /** The text beside a progress bar ('2 of 10'). */
  barText(label: 'Stage' | 'Epoch' | 'Batch'): Locator {
    return this.trainer.locator('.bar', { has: this.page.getByText(label, { exact: true }) }).locator('span');
  }

  async screenshot(name: string): Promise<void> {
    await this.page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage: true });
  }

  /**
   * The state as a desktop and a phone show it (name-1280.png, name-360.png), and at each width no
   * sideways scroll (the page no wider than the window); the viewport is put back after.
   */
  async screenshotWidths(name: string): Promise<void> {
    const before = this.page.viewportSize();
    for (const width of [1280, 360]) {
      await this.page.setViewportSize({ width, height: 800 });
      const scrollWidth = await this.page.evaluate(() => document.documentElement.scrollWidth);
      expect(scrollWidth, `${name} at ${width} px is ${scrollWidth} px wide`).toBeLessThanOrEqual(width);
      await this.page.screenshot({ path: test.info().outputPath(`${name}-${width}.png`), fullPage: true });
    }
    if (before) await this.page.setViewportSize(before);
  }

  /** A solid black PNG, made by the browser's own encoder. */
  async blackPng(size: number): Promise<Buffer> {
    const bytes = await this.page.evaluate(async (s) => {
      const canvas = new OffscreenCanvas(s, s);
      const context = canvas.getContext('2d')!;
      context.fillStyle = '#000';
      context.fillRect(0, 0, s, s);
      return [...new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer())];
    }, size);
    return Buffer.from(bytes);
  }
}
