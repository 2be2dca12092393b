/**
 * ASCII sparklines as Redis's sparkline.c draws them for LATENCY GRAPH:
 * `rows` rows of `_-\`` (or `_o#` filled, with `|` below), then each
 * sample's label written vertically under its column, wrapped every
 * `columns` samples.
 *
 * @module
 */

export interface SparklineSample {
  readonly value: number;
  /** Written downwards under the column; empty for none. */
  readonly label: string;
}

const CHARSET = "_-`";
const CHARSET_FILL = "_o#";
/** Blank lines between the graph and the labels. */
const LABEL_MARGIN_TOP = 1;

/** Redis's sparklineRender with SPARKLINE_FILL when `fill`, linear scale. */
export function renderSparkline(
  samples: readonly SparklineSample[],
  options: { columns: number; rows: number; fill: boolean },
): string {
  let min = 0;
  let max = 0;
  samples.forEach((sample, index) => {
    if (index === 0) min = max = sample.value;
    else if (sample.value < min) min = sample.value;
    else if (sample.value > max) max = sample.value;
  });
  const hasLabels = samples.some((sample) => sample.label !== "");
  let output = "";
  for (let start = 0; start < samples.length; start += options.columns) {
    if (start !== 0) output += "\n";
    const range = samples.slice(start, start + options.columns);
    output += renderRange(range, { min, max, hasLabels, ...options });
  }
  return output;
}

function renderRange(
  samples: readonly SparklineSample[],
  scale: { min: number; max: number; hasLabels: boolean; rows: number; fill: boolean },
): string {
  const { min, rows, fill } = scale;
  const relmax = scale.max - min === 0 ? 1 : scale.max - min;
  const steps = CHARSET.length * rows;
  let output = "";
  for (let row = 0;; row++) {
    let more = false;
    const chars: string[] = new Array(samples.length).fill(" ");
    for (let column = 0; column < samples.length; column++) {
      const sample = samples[column]!;
      let step = Math.trunc(Math.trunc((sample.value - min) * steps) / relmax);
      if (step < 0) step = 0;
      if (step >= steps) step = steps - 1;
      if (row < rows) {
        const charIndex = step - (rows - row - 1) * CHARSET.length;
        more = true;
        if (charIndex >= 0 && charIndex < CHARSET.length) {
          chars[column] = (fill ? CHARSET_FILL : CHARSET)[charIndex]!;
        } else if (fill && charIndex >= CHARSET.length) {
          chars[column] = "|";
        }
      } else {
        if (scale.hasLabels && row - rows < LABEL_MARGIN_TOP) {
          more = true;
          chars.fill(" ");
          break;
        }
        const labelChar = row - rows - LABEL_MARGIN_TOP;
        if (sample.label !== "" && sample.label.length > labelChar) {
          more = true;
          chars[column] = sample.label[labelChar]!;
        }
      }
    }
    if (!more) return output;
    output += chars.join("") + "\n";
  }
}
