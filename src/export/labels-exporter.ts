import { ownBuffer, type Exporter } from './format';

// labels.txt: the class names, one a line, in the order of the model's outputs (the `classes` the
// export's metadata holds), for code that reads the probabilities without the model's metadata.

const FILE = 'labels.txt';

export const LABELS_EXPORTER: Exporter<'labels'> = {
  name: 'labels',
  label: "the class names, one a line, in the order of the model's outputs",
  files: [FILE],
  places: ['worker', 'node'],
  async make({ exported }) {
    return [{ name: FILE, bytes: ownBuffer(new TextEncoder().encode(labelsText(exported.modelJson))) }];
  },
};

/** The class names from model.json's metadata, one a line; a name with a line break in it is refused. */
export function labelsText(modelJson: string): string {
  const classes = (JSON.parse(modelJson) as { userDefinedMetadata?: { classes?: unknown } }).userDefinedMetadata?.classes;
  if (!Array.isArray(classes) || !classes.length || !classes.every((c) => typeof c === 'string')) {
    throw new Error("the model's metadata has no list of class names");
  }
  const broken = classes.find((c) => /[\r\n]/.test(c));
  if (broken !== undefined) throw new Error(`the class name ${JSON.stringify(broken)} has a line break: ${FILE} holds one name a line`);
  return `${classes.join('\n')}\n`;
}
