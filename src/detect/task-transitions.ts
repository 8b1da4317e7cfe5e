/**
 * Unusual task switches of robots: a first-order Markov model of task transitions per robot type, learned from
 * the fleet's own history (no hard-coded list of forbidden pairs).
 *
 * For robot type `r`, with `c(a→b)` the number of learned switches from task `a` to task `b`, `N(a) = Σ_b c(a→b)`
 * and `K` the number of distinct tasks seen for `r` (as either end of a learned switch), the transition
 * probability is the additively smoothed (Lidstone) estimate
 *
 *   P(b | a) = (c(a→b) + α) / (N(a) + α·K)
 *
 * (Manning and Schütze, "Foundations of Statistical Natural Language Processing", 1999, §6.2.2), which sums to 1
 * over the `K` seen tasks. A task never seen for `r` gets the mass of one extra vocabulary entry,
 * `α / (N(a) + α·(K + 1))`. A switch is *unusual* when the from-task is *warm* (`N(a) ≥ minObservations`) and
 * either the probability is below `threshold` or the to-task was never seen for that robot type.
 *
 * Bounds: at most `maxTypes` robot types and `maxTasks` tasks per type; switches that would add a type or a task
 * beyond them are not learned, only counted ({@link TaskTransitionModel.ignoredTypes},
 * {@link TaskTransitionModel.ignoredTasks}), and nothing is evicted: the model keeps what it learned first.
 * Memory ≤ `maxTypes × maxTasks² × 8` bytes (2 MiB with the defaults); count rows are allocated per from-task on
 * first use. `learn`, `probability` and `assess` are O(1).
 */

/** Options of {@link TaskTransitionModel}. */
export interface TaskTransitionOptions {
  /** A warm switch with probability below this is unusual; in (0, 1] (default 0.02). */
  readonly threshold?: number;
  /** Switches learned from a task before switches from it may be flagged; integer ≥ 1 (default 30). */
  readonly minObservations?: number;
  /** Lidstone additive smoothing α > 0 (default 0.5, Jeffreys–Perks). */
  readonly smoothing?: number;
  /** Largest number of robot types, integer in [1, 100000] (default 64). */
  readonly maxTypes?: number;
  /** Largest number of tasks per robot type, integer in [1, 1024] (default 64). */
  readonly maxTasks?: number;
}

/** Verdict of {@link TaskTransitionModel.assess}. */
export interface TaskTransitionAssessment {
  /** True when `warm` and the switch is improbable or goes to a task never seen for the robot type. */
  readonly unusual: boolean;
  /** Smoothed transition probability in (0, 1]. */
  readonly probability: number;
  /** True when at least `minObservations` switches from the from-task have been learned for the robot type. */
  readonly warm: boolean;
}

/** Persisted form of a {@link TaskTransitionModel} (plain JSON). */
export interface TaskTransitionModelJson {
  readonly version: 1;
  readonly options: Required<TaskTransitionOptions>;
  readonly ignoredTypes: number;
  readonly ignoredTasks: number;
  /** Per robot type: its tasks (index order) and the non-zero counts as `[fromIndex, toIndex, count]`. */
  readonly types: readonly {
    readonly robotType: string;
    readonly tasks: readonly string[];
    readonly transitions: readonly (readonly [number, number, number])[];
  }[];
}

/** Learned switches of one robot type. */
class TypeCounts {
  readonly tasks: string[] = [];
  readonly index = new Map<string, number>();
  /** `rows[a][b]` = c(a→b); a row is allocated on the first switch from `a`. */
  readonly rows: (Float64Array | undefined)[] = [];
  /** `totals[a]` = N(a). */
  readonly totals: Float64Array;

  constructor(readonly maxTasks: number) {
    this.totals = new Float64Array(maxTasks);
  }

  intern(task: string): number {
    let i = this.index.get(task);
    if (i === undefined) {
      i = this.tasks.length;
      this.tasks.push(task);
      this.index.set(task, i);
      this.rows.push(undefined);
    }
    return i;
  }

  add(a: number, b: number, count: number): void {
    let row = this.rows[a];
    if (row === undefined) {
      row = new Float64Array(this.maxTasks);
      this.rows[a] = row;
    }
    row[b] += count;
    this.totals[a] += count;
  }
}

const FORMAT = 'TaskTransitionModel.fromJSON';

function checkOptions(o: TaskTransitionOptions): Required<TaskTransitionOptions> {
  const r = {
    threshold: o.threshold ?? 0.02,
    minObservations: o.minObservations ?? 30,
    smoothing: o.smoothing ?? 0.5,
    maxTypes: o.maxTypes ?? 64,
    maxTasks: o.maxTasks ?? 64,
  };
  const int = (v: number, lo: number, hi: number): boolean => Number.isInteger(v) && v >= lo && v <= hi;
  if (!(typeof r.threshold === 'number' && r.threshold > 0 && r.threshold <= 1)) throw new RangeError(`threshold must be in (0, 1], got ${r.threshold}`);
  if (!int(r.minObservations, 1, Number.MAX_SAFE_INTEGER)) throw new RangeError(`minObservations must be an integer ≥ 1, got ${r.minObservations}`);
  if (!(typeof r.smoothing === 'number' && r.smoothing > 0 && Number.isFinite(r.smoothing))) {
    throw new RangeError(`smoothing must be positive and finite, got ${r.smoothing}`);
  }
  if (!int(r.maxTypes, 1, 100_000)) throw new RangeError(`maxTypes must be an integer in [1, 100000], got ${r.maxTypes}`);
  if (!int(r.maxTasks, 1, 1024)) throw new RangeError(`maxTasks must be an integer in [1, 1024], got ${r.maxTasks}`);
  return r;
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

/**
 * Per-robot-type Markov model of task switches; see the module comment for the estimate, the verdict and the
 * bounds.
 */
export class TaskTransitionModel {
  /** Effective options. */
  readonly options: Readonly<Required<TaskTransitionOptions>>;
  readonly #types = new Map<string, TypeCounts>();
  #ignoredTypes = 0;
  #ignoredTasks = 0;

  /** @throws RangeError when an option is out of its documented range. */
  constructor(options: TaskTransitionOptions = {}) {
    this.options = Object.freeze(checkOptions(options));
  }

  /** Number of robot types learned. */
  get types(): number {
    return this.#types.size;
  }

  /** Switches not learned because their robot type would exceed `maxTypes`. */
  get ignoredTypes(): number {
    return this.#ignoredTypes;
  }

  /** Switches not learned because a task would exceed `maxTasks` for its robot type. */
  get ignoredTasks(): number {
    return this.#ignoredTasks;
  }

  /** Tasks seen for `robotType`, in order of first appearance (empty for an unknown type). */
  tasksOf(robotType: string): readonly string[] {
    return this.#types.get(robotType)?.tasks ?? [];
  }

  /** N(from): switches learned from `from` for `robotType`. */
  observations(robotType: string, from: string): number {
    const t = this.#types.get(robotType);
    const a = t?.index.get(from);
    return t === undefined || a === undefined ? 0 : t.totals[a];
  }

  /**
   * Learns one switch `from → to` of a robot of `robotType` (a self-switch `from === to` is a switch too).
   * Returns false, and counts it, when the type or a task is new and its bound is reached.
   */
  learn(robotType: string, from: string, to: string): boolean {
    let t = this.#types.get(robotType);
    if (t === undefined) {
      if (this.#types.size >= this.options.maxTypes) {
        this.#ignoredTypes++;
        return false;
      }
      t = new TypeCounts(this.options.maxTasks);
      this.#types.set(robotType, t);
    }
    const newTasks = (t.index.has(from) ? 0 : 1) + (from !== to && !t.index.has(to) ? 1 : 0);
    if (t.tasks.length + newTasks > this.options.maxTasks) {
      this.#ignoredTasks++;
      return false;
    }
    t.add(t.intern(from), t.intern(to), 1);
    return true;
  }

  /**
   * Smoothed probability P(to | from) for `robotType` (formula in the module comment). For a from-task never
   * learned it is uniform `1/K` over the seen tasks; for an unknown robot type (`K = 0`), 1.
   */
  probability(robotType: string, from: string, to: string): number {
    const alpha = this.options.smoothing;
    const t = this.#types.get(robotType);
    if (t === undefined) return 1; // α / (0 + α·1): the lone unseen task
    const a = t.index.get(from);
    const b = t.index.get(to);
    const k = t.tasks.length + (b === undefined ? 1 : 0);
    const n = a === undefined ? 0 : t.totals[a];
    const row = a === undefined ? undefined : t.rows[a];
    const c = row === undefined || b === undefined ? 0 : row[b];
    return (c + alpha) / (n + alpha * k);
  }

  /** Whether the switch `from → to` is unusual for `robotType` (see {@link TaskTransitionAssessment}). */
  assess(robotType: string, from: string, to: string): TaskTransitionAssessment {
    const probability = this.probability(robotType, from, to);
    const warm = this.observations(robotType, from) >= this.options.minObservations;
    const seen = this.#types.get(robotType)?.index.has(to) ?? false;
    return { unusual: warm && (!seen || probability < this.options.threshold), probability, warm };
  }

  /** The model as plain JSON ({@link TaskTransitionModelJson}); `fromJSON(JSON.parse(JSON.stringify(m)))` restores it. */
  toJSON(): TaskTransitionModelJson {
    const types: TaskTransitionModelJson['types'][number][] = [];
    for (const [robotType, t] of this.#types) {
      const transitions: [number, number, number][] = [];
      for (let a = 0; a < t.tasks.length; a++) {
        const row = t.rows[a];
        if (row === undefined) continue;
        for (let b = 0; b < t.tasks.length; b++) if (row[b] > 0) transitions.push([a, b, row[b]]);
      }
      types.push({ robotType, tasks: [...t.tasks], transitions });
    }
    return { version: 1, options: { ...this.options }, ignoredTypes: this.#ignoredTypes, ignoredTasks: this.#ignoredTasks, types };
  }

  /**
   * Restores a model from {@link toJSON}'s output.
   * @throws RangeError naming the first problem when `x` is not such a value: wrong version or shape, options
   *   out of range, more types or tasks than the bounds, duplicate robot types, tasks or transitions, indices
   *   out of range, counts that are not positive safe integers.
   */
  static fromJSON(x: unknown): TaskTransitionModel {
    const fail = (what: string): never => {
      throw new RangeError(`${FORMAT}: ${what}`);
    };
    if (!isRecord(x)) return fail('not an object');
    if (x.version !== 1) fail(`unsupported version ${String(x.version)}`);
    if (!isRecord(x.options)) fail('options missing');
    const o = x.options as Record<string, unknown>;
    const optNames = ['threshold', 'minObservations', 'smoothing', 'maxTypes', 'maxTasks'] as const;
    for (const k of optNames) if (typeof o[k] !== 'number') fail(`options.${k} is not a number`);
    let model: TaskTransitionModel;
    try {
      model = new TaskTransitionModel(Object.fromEntries(optNames.map((k) => [k, o[k]])) as TaskTransitionOptions);
    } catch (e) {
      return fail(`options: ${(e as Error).message}`);
    }
    if (!isCount(x.ignoredTypes) || !isCount(x.ignoredTasks)) fail('ignoredTypes/ignoredTasks must be non-negative integers');
    if (!Array.isArray(x.types)) return fail('types is not an array');
    if (x.types.length > model.options.maxTypes) fail(`${x.types.length} robot types exceed maxTypes ${model.options.maxTypes}`);
    for (const [i, ty] of x.types.entries()) {
      const at = `types[${i}]`;
      if (!isRecord(ty) || typeof ty.robotType !== 'string' || !Array.isArray(ty.tasks) || !Array.isArray(ty.transitions)) {
        return fail(`${at} must be { robotType: string, tasks: string[], transitions: [from, to, count][] }`);
      }
      if (model.#types.has(ty.robotType)) fail(`${at}: duplicate robot type "${ty.robotType}"`);
      if (ty.tasks.length > model.options.maxTasks) fail(`${at}: ${ty.tasks.length} tasks exceed maxTasks ${model.options.maxTasks}`);
      const t = new TypeCounts(model.options.maxTasks);
      for (const task of ty.tasks) {
        if (typeof task !== 'string') fail(`${at}.tasks holds a non-string`);
        if (t.index.has(task as string)) fail(`${at}.tasks: duplicate task "${String(task)}"`);
        t.intern(task as string);
      }
      const nt = t.tasks.length;
      for (const [j, tr] of ty.transitions.entries()) {
        const ok =
          Array.isArray(tr) && tr.length === 3 && tr.every((v) => Number.isInteger(v)) && tr[0] >= 0 && tr[0] < nt && tr[1] >= 0 && tr[1] < nt;
        if (!ok) fail(`${at}.transitions[${j}] must be [from, to, count] with indices below ${nt}`);
        const [a, b, c] = tr as [number, number, number];
        if (!(isCount(c) && c > 0)) fail(`${at}.transitions[${j}]: count must be a positive integer`);
        if (t.rows[a] !== undefined && (t.rows[a] as Float64Array)[b] > 0) fail(`${at}.transitions[${j}]: duplicate pair`);
        t.add(a, b, c);
      }
      model.#types.set(ty.robotType, t);
    }
    model.#ignoredTypes = x.ignoredTypes as number;
    model.#ignoredTasks = x.ignoredTasks as number;
    return model;
  }
}
