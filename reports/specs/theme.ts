/**
 * The look every chart shares: the Okabe–Ito palette (distinguishable with the common forms of
 * colour-blindness; every series also differs by label, dash or position, never by colour alone),
 * one font stack, one chart size, and the time axis of a run.
 */
import type { Config, TopLevelSpec } from 'vega-lite';

/** Okabe & Ito (2008), "Color Universal Design". */
export const PALETTE = {
  blue: '#0072B2',
  orange: '#E69F00',
  green: '#009E73',
  vermillion: '#D55E00',
  sky: '#56B4E9',
  purple: '#CC79A7',
  yellow: '#F0E442',
  black: '#1b1b1b',
  grey: '#9a9a9a',
  lightGrey: '#d9d9d9',
} as const;

/** Categorical range in the order series are assigned (reasons, node groups, …). */
export const CATEGORICAL: string[] = [
  PALETTE.blue,
  PALETTE.orange,
  PALETTE.green,
  PALETTE.vermillion,
  PALETTE.sky,
  PALETTE.purple,
  PALETTE.yellow,
  PALETTE.black,
];

/** Ordered shades for percentiles (light = p50 … dark = p99), blue single-hue. */
export const PERCENTILE_SHADES: string[] = ['#9ecae1', '#4292c6', '#2171b5', '#08306b'];

/**
 * System fonts only (the report works offline and loads nothing). The named fallbacks are what
 * resvg finds on a Debian CI runner, so PNGs use the same metrics as the browser.
 */
export const FONT =
  'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Liberation Sans", "DejaVu Sans", Arial, sans-serif';

/** Plot area of one chart, in CSS pixels (the SVG scales down on narrow screens). */
export const CHART_WIDTH = 800;
export const CHART_HEIGHT = 240;

/** The Vega-Lite config render.ts applies under every spec's own config. */
export const THEME: Config = {
  font: FONT,
  background: '#ffffff',
  padding: 8,
  view: { stroke: null },
  axis: {
    labelFontSize: 12,
    titleFontSize: 12,
    titleFontWeight: 'normal',
    titleColor: '#444444',
    labelColor: '#444444',
    gridColor: '#ececec',
    domainColor: '#888888',
    tickColor: '#888888',
  },
  legend: {
    labelFontSize: 12,
    titleFontSize: 12,
    titleFontWeight: 'normal',
    orient: 'top',
    direction: 'horizontal',
    labelLimit: 260,
  },
  header: { labelFontSize: 12, titleFontSize: 12 },
  text: { fontSize: 12 },
  title: { fontSize: 14, fontWeight: 'normal', anchor: 'start' },
};

/** How a run's time axis is labelled: seconds, minutes or hours since the start. */
export interface TimeAxis {
  /** Divide milliseconds by this to get the axis unit. */
  div: number;
  unit: 's' | 'min' | 'h';
  title: string;
}

/** Seconds up to 5 minutes, minutes up to 5 hours, hours beyond. */
export function timeAxis(durationMs: number): TimeAxis {
  if (durationMs <= 5 * 60_000) return { div: 1000, unit: 's', title: 'seconds since the start' };
  if (durationMs <= 5 * 3_600_000) return { div: 60_000, unit: 'min', title: 'minutes since the start' };
  return { div: 3_600_000, unit: 'h', title: 'hours since the start' };
}

/** ms → the axis unit, rounded to 3 decimals so bound data stays readable in tests and tooltips. */
export function toAxis(ms: number, axis: TimeAxis): number {
  return round3(ms / axis.div);
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** The layer list of a layered spec (to build it up conditionally). */
export type Layers = Extract<TopLevelSpec, { layer: unknown }>['layer'];
