import { css } from 'lit';

/** The element's own layout: drop zones, class list, form grid, bars, charts, results, tables, toolbar. */
export const elementStyles = css`
  .drop {
    border: 2px dashed var(--ft-border);
    border-radius: var(--ft-radius);
    padding: 22px;
    text-align: center;
    color: var(--ft-muted);
    margin: 10px 0;
  }
  .drop.small {
    padding: 12px;
  }
  .drop.over {
    border-color: var(--ft-accent);
    background: var(--ft-surface);
  }
  .button-like {
    display: inline-block;
    padding: 6px 14px;
    border: 1px solid var(--ft-accent);
    border-radius: 6px;
    color: var(--ft-accent);
    cursor: pointer;
  }
  .button-like:focus-within {
    outline: 3px solid color-mix(in srgb, var(--ft-accent) 45%, transparent);
  }
  .button-like input {
    position: absolute;
    width: 1px;
    height: 1px;
    opacity: 0;
  }
  .classes {
    list-style: none;
    padding: 0;
    margin: 0;
  }
  .classes li {
    display: flex;
    flex-wrap: wrap;
    gap: 10px;
    align-items: center;
    padding: 3px 0;
  }
  .thumbs {
    display: flex;
    flex-wrap: wrap;
    gap: 2px;
  }
  .class-name {
    font-weight: 600;
    min-width: 120px;
  }
  .thumbs img,
  .gallery img {
    object-fit: cover;
    border-radius: 4px;
    margin-right: 2px;
  }
  .fields {
    display: grid;
    grid-template-columns: repeat(auto-fill, minmax(min(220px, 100%), 1fr));
    gap: 10px 16px;
  }
  .field {
    display: flex;
    flex-direction: column;
  }
  .field input,
  .field select {
    font: inherit;
    padding: 4px 6px;
  }
  .bar {
    display: grid;
    /* minmax(0, ...): a long text wraps instead of widening the page on a phone */
    grid-template-columns: 70px minmax(80px, 1fr) minmax(0, 260px);
    gap: 8px;
    align-items: center;
  }
  progress {
    width: 100%;
    accent-color: var(--ft-accent);
  }
  .charts {
    display: flex;
    flex-wrap: wrap;
    gap: 16px;
  }
  .results-grid {
    display: flex;
    flex-wrap: wrap;
    gap: 24px;
    align-items: flex-start;
  }
  caption {
    text-align: left;
    font-weight: 600;
    padding-bottom: 4px;
  }
  .confusion td {
    min-width: 34px;
    text-align: center;
  }
  .gallery {
    display: flex;
    flex-wrap: wrap;
    gap: 8px;
    margin: 12px 0 0;
  }
  .gallery > figcaption {
    width: 100%;
    font-weight: 600;
  }
  .miss {
    margin: 0;
    width: 80px;
    font-size: 12px;
  }
  .bad {
    color: var(--ft-danger);
  }
  .layer-table td:nth-child(2),
  .layer-table td:nth-child(3),
  .layer-table th:nth-child(2),
  .layer-table th:nth-child(3) {
    text-align: left;
  }
  tr.unfreeze td {
    border-top: 2px solid var(--ft-accent);
  }
  .log {
    max-height: 220px;
    overflow: auto;
    white-space: pre-wrap;
    overflow-wrap: anywhere;
    background: var(--ft-surface);
    padding: 8px;
    font-size: 12px;
  }
  .presets {
    border: 1px solid var(--ft-border);
    border-radius: var(--ft-radius);
    margin: 12px 0 8px;
    padding: 6px 12px 10px;
  }
  .preset {
    display: block;
    padding: 3px 0;
  }
  .base-picker {
    display: grid;
    /* minmax(0, ...): a long option or file name wraps or shrinks instead of leaving the panel on a phone */
    grid-template-columns: minmax(0, 1fr);
    gap: 8px;
    justify-items: start;
  }
  .base-picker .field {
    width: 100%;
    min-width: 0;
  }
  .base-picker select,
  .base-picker input[type='url'] {
    width: 100%;
    box-sizing: border-box;
  }
  .base-picker .button-like {
    max-width: 100%;
    box-sizing: border-box;
  }
  .base-picker small {
    overflow-wrap: anywhere;
  }
  .notice {
    margin: 4px 0;
  }
  .advanced > summary {
    cursor: pointer;
    margin: 8px 0;
  }
  .toolbar {
    display: flex;
    flex-wrap: wrap;
    gap: 8px;
    align-items: center;
    margin-bottom: 12px;
  }
`;
