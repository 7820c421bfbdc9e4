/**
 * Vega-Lite → Vega → SVG in Node, and SVG → PNG for Markdown.
 *
 * vega's View runs headless (renderer 'none') and serialises its scenegraph with toSVG(): no
 * browser, no canvas package (text is measured with vega's built-in estimate). The loader refuses
 * every URL, so a spec can only use inline data and rendering never touches the network. PNGs come
 * from @resvg/resvg-js with the system fonts.
 */
import { Resvg } from '@resvg/resvg-js';
import { type Loader, parse, View, Warn } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { THEME } from './specs/theme.js';

export interface Rendered {
  svg: string;
  /** Warnings from Vega-Lite's compiler and Vega's dataflow (a well-formed spec has none). */
  warnings: string[];
}

/** A loader that loads nothing: charts bind inline data only. */
const offlineLoader: Loader = {
  load: (uri) => Promise.reject(new Error(`report charts are offline: refusing to load ${uri}`)),
  sanitize: (uri) => Promise.reject(new Error(`report charts are offline: refusing to load ${uri}`)),
  http: (uri) => Promise.reject(new Error(`report charts are offline: refusing to fetch ${uri}`)),
  file: (name) => Promise.reject(new Error(`report charts are offline: refusing to read ${name}`)),
};

/** Collects log messages instead of printing them (vega's default logger writes to the console). */
function collector(warnings: string[]) {
  let level = Warn;
  const logger = {
    level(l?: number) {
      if (l === undefined) return level;
      level = l;
      return logger;
    },
    error(...args: readonly unknown[]) {
      warnings.push(`error: ${args.map(String).join(' ')}`);
      return logger;
    },
    warn(...args: readonly unknown[]) {
      warnings.push(args.map(String).join(' '));
      return logger;
    },
    info() {
      return logger;
    },
    debug() {
      return logger;
    },
  };
  return logger;
}

/** Render a Vega-Lite spec to an SVG document string, with the shared theme under its config. */
export async function renderSvg(spec: TopLevelSpec): Promise<Rendered> {
  const warnings: string[] = [];
  const logger = collector(warnings);
  const vg = compile({ ...spec, config: { ...THEME, ...spec.config } }, { logger }).spec;
  const view = new View(parse(vg), { renderer: 'none', loader: offlineLoader, logger });
  try {
    return { svg: await view.toSVG(), warnings };
  } finally {
    view.finalize();
  }
}

/**
 * Make the ids inside one SVG unique within a page that inlines several (clip paths, gradients):
 * every `id="x"` becomes `id="<prefix>-x"`, and its references `url(#x)` / `href="#x"` follow.
 */
export function prefixSvgIds(svg: string, prefix: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, (_, id: string) => `id="${prefix}-${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id: string) => `url(#${prefix}-${id})`)
    .replace(/href="#([^"]+)"/g, (_, id: string) => `href="#${prefix}-${id}"`);
}

/** An SVG as PNG, `scale` times its own size (2 by default: sharp on HiDPI screens). */
export function svgToPng(svg: string, scale = 2): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: '#ffffff',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}
