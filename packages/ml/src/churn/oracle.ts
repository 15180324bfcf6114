import { createReadStream, existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import { MlInputError } from '../errors.js';

/** The simulator's hidden truth: the true 30-day churn probability by member and snapshot date. */
export interface ChurnTruth {
  readonly file: string;
  readonly probability: ReadonlyMap<string, number>;
}

export const TRUTH_COLUMNS = ['user_id', 'snapshot_date', 'churn_probability_30d', 'churned_within_30d'] as const;

/** Key of a member on a snapshot date, as the truth file and the frame both write them. */
export const truthKey = (id: string, time: string) => `${id}@${time}`;

/** Reads `truth/churn_truth.csv` as `simulate` writes it (user_id, snapshot_date, churn_probability_30d, …). */
export async function readChurnTruth(file: string): Promise<ChurnTruth> {
  if (!existsSync(file)) {
    throw new MlInputError('no-truth-file', `the truth file ${file} does not exist`, { hint: 'pass the churn_truth.csv that `simulate` wrote beside the data it loaded (DIR/truth/churn_truth.csv), or leave out --truth' });
  }
  const probability = new Map<string, number>();
  let columns: number[] | undefined;
  await pipeline(
    createReadStream(file),
    parse({ skip_empty_lines: true }),
    new Writable({
      objectMode: true,
      write(record: string[], _encoding, done) {
        if (!columns) {
          columns = ['user_id', 'snapshot_date', 'churn_probability_30d'].map((c) => record.indexOf(c));
          if (columns.some((i) => i < 0)) {
            done(new MlInputError('bad-truth-file', `${file} is not a churn truth file: its header is ${record.join(',')}, not ${TRUTH_COLUMNS.join(',')}`, { hint: 'pass DIR/truth/churn_truth.csv as written by simulate' }));
            return;
          }
        } else {
          probability.set(truthKey(record[columns[0]!]!, record[columns[1]!]!), Number(record[columns[2]!]));
        }
        done();
      },
    }),
  );
  return { file, probability };
}
