import { css } from 'lit';

/** Themeable through custom properties set on the element (`finetune-trainer { --ft-accent: ... }`) and ::part. */
export const styles = css`
  :host {
    --ft-accent: #2f6fed;
    --ft-bg: #ffffff;
    --ft-fg: #1d2330;
    --ft-muted: #5d6678;
    --ft-border: #d8dde7;
    --ft-surface: #f5f7fb;
    --ft-danger: #b3261e;
    --ft-warn: #8a5a00;
    --ft-radius: 8px;
    --ft-font: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
    display: block;
    font: 14px/1.45 var(--ft-font);
    color: var(--ft-fg);
    background: var(--ft-bg);
  }
  section {
    border: 1px solid var(--ft-border);
    border-radius: var(--ft-radius);
    padding: 12px 16px;
    margin: 0 0 12px;
    /* a table wider than a phone scrolls inside its panel, never the page */
    overflow-x: auto;
  }
  h2 {
    font-size: 15px;
    margin: 0 0 8px;
  }
  h3 {
    font-size: 14px;
    margin: 12px 0 6px;
  }
  button {
    font: inherit;
    padding: 6px 14px;
    border-radius: 6px;
    border: 1px solid var(--ft-accent);
    background: var(--ft-accent);
    color: #fff;
    cursor: pointer;
  }
  button.secondary {
    background: transparent;
    color: var(--ft-accent);
  }
  button.danger {
    background: var(--ft-danger);
    border-color: var(--ft-danger);
  }
  .confirm {
    display: inline-flex;
    flex-wrap: wrap;
    gap: 8px;
    align-items: center;
  }
  button:disabled {
    opacity: 0.45;
    cursor: default;
  }
  button:focus-visible,
  input:focus-visible,
  select:focus-visible,
  .drop:focus-visible {
    outline: 3px solid color-mix(in srgb, var(--ft-accent) 45%, transparent);
    outline-offset: 2px;
  }
  .row {
    display: flex;
    flex-wrap: wrap;
    gap: 8px;
    align-items: center;
  }
  .muted {
    color: var(--ft-muted);
  }
  .warn {
    color: var(--ft-warn);
  }
  .error {
    color: var(--ft-danger);
    font-weight: 600;
    overflow-wrap: anywhere;
  }
  .bar span,
  .backend {
    overflow-wrap: anywhere;
  }
  table {
    border-collapse: collapse;
    font-variant-numeric: tabular-nums;
  }
  th,
  td {
    padding: 3px 8px;
    text-align: right;
    border-bottom: 1px solid var(--ft-border);
  }
  th:first-child,
  td:first-child {
    text-align: left;
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
`;
