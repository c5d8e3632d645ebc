import { css, html, LitElement, unsafeCSS, type PropertyValues, type TemplateResult } from 'lit';
import uPlot from 'uplot';
import uPlotCss from 'uplot/dist/uPlot.min.css?inline';

export interface ChartSeries {
  label: string;
  color: string;
  values: (number | null)[];
  dashed?: boolean;
}

/** A small uPlot line chart (x: epochs across both stages), redrawn when its data changes. */
export class FtChart extends LitElement {
  static override styles = [
    unsafeCSS(uPlotCss),
    css`
      :host {
        display: block;
        min-width: 280px;
      }
    `,
  ];
  static override properties = { heading: { type: String }, series: { attribute: false }, stageBreak: { type: Number } };
  declare heading: string;
  declare series: ChartSeries[];
  /** The x position where stage 2 starts (a vertical rule), or 0. */
  declare stageBreak: number;
  private plot: uPlot | null = null;

  constructor() {
    super();
    this.heading = '';
    this.series = [];
    this.stageBreak = 0;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.plot?.destroy();
    this.plot = null;
  }

  override render(): TemplateResult {
    return html`<div class="plot" role="img" aria-label=${`${this.heading} per epoch: ${this.series.map((s) => `${s.label} ${s.values.at(-1)?.toFixed(3) ?? 'n/a'}`).join(', ')}`}></div>`;
  }

  override updated(_: PropertyValues): void {
    const length = Math.max(0, ...this.series.map((s) => s.values.length));
    const data: uPlot.AlignedData = [Array.from({ length }, (_, i) => i + 1), ...this.series.map((s) => s.values)];
    if (this.plot && this.plot.series.length === this.series.length + 1) {
      this.plot.setData(data);
      this.showLast(length);
      return;
    }
    this.plot?.destroy();
    const stageBreak = (): number => this.stageBreak;
    this.plot = new uPlot(
      {
        title: this.heading,
        // As wide as a phone's panel allows, up to 340 px.
        width: Math.max(200, Math.min(340, (this.parentElement?.clientWidth ?? 340) - 8)),
        height: 200,
        scales: { x: { time: false } },
        // Whole epochs only on x.
        axes: [{ label: 'epoch', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500] }, {}],
        series: [{ label: 'epoch' }, ...this.series.map((s) => ({ label: s.label, stroke: s.color, width: 2, dash: s.dashed ? [6, 4] : undefined, spanGaps: true }))],
        hooks: {
          draw: [
            (u: uPlot) => {
              const at = stageBreak();
              if (!at) return;
              const x = u.valToPos(at, 'x', true);
              u.ctx.save();
              u.ctx.strokeStyle = '#999';
              u.ctx.setLineDash([3, 3]);
              u.ctx.beginPath();
              u.ctx.moveTo(x, u.bbox.top);
              u.ctx.lineTo(x, u.bbox.top + u.bbox.height);
              u.ctx.stroke();
              u.ctx.restore();
            },
          ],
        },
      },
      data,
      this.renderRoot.querySelector<HTMLElement>('.plot')!,
    );
    this.showLast(length);
  }

  /** The legend shows the latest epoch's values until the pointer picks another (uPlot's default is '--'). */
  private showLast(length: number): void {
    if (length) this.plot?.setLegend({ idx: length - 1 });
  }
}
customElements.define('ft-chart', FtChart);

declare global {
  interface HTMLElementTagNameMap {
    'ft-chart': FtChart;
  }
}
