/**
 * Just enough PromQL to say which metrics an expression reads, and Grafana's variable syntax to
 * turn a panel's query into one Prometheus can run. Prometheus 2.42 has no parse endpoint, so the
 * names come from a tokenizer: label matchers, ranges, strings and comments are skipped, and an
 * identifier is a metric unless it is a keyword or called like a function.
 */

const KEYWORDS = new Set(["and", "or", "unless", "bool", "offset", "atan2", "inf", "nan"]);
/** Keywords followed by a parenthesised list of label names, not expressions. */
const LABEL_LIST_KEYWORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right"]);

type Token = { readonly kind: "identifier" | "other"; readonly text: string };

function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let braces = 0;
  let brackets = 0;
  while (i < expr.length) {
    const c = expr[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "#") {
      while (i < expr.length && expr[i] !== "\n") i++;
    } else if (c === '"' || c === "'" || c === "`") {
      i++;
      while (i < expr.length && expr[i] !== c) i += expr[i] === "\\" && c !== "`" ? 2 : 1;
      i++;
    } else if (c === "{" || c === "}" || c === "[" || c === "]") {
      if (c === "{") braces++;
      if (c === "}") braces--;
      if (c === "[") brackets++;
      if (c === "]") brackets--;
      i++;
    } else if (braces > 0 || brackets > 0) {
      // Label matchers and range or subquery durations name no metric.
      i++;
    } else if (/[A-Za-z_:]/.test(c)) {
      const match = /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(expr.slice(i)) as RegExpExecArray;
      tokens.push({ kind: "identifier", text: match[0] });
      i += match[0].length;
    } else if (/[0-9.]/.test(c)) {
      // Numbers, and durations such as `15m` after offset.
      i += (/^[0-9.][0-9A-Za-z_.]*/.exec(expr.slice(i)) as RegExpExecArray)[0].length;
    } else {
      tokens.push({ kind: "other", text: c });
      i++;
    }
  }
  return tokens;
}

/** The metric names an expression reads, in order of appearance, each once. */
export function metricNames(expr: string): string[] {
  const tokens = tokenize(expr);
  const names: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    if (token.kind !== "identifier") continue;
    const next = tokens[i + 1];
    const word = token.text.toLowerCase();
    if (LABEL_LIST_KEYWORDS.has(word)) {
      if (next?.text === "(") {
        let depth = 0;
        for (i++; i < tokens.length; i++) {
          if (tokens[i]?.text === "(") depth++;
          if (tokens[i]?.text === ")" && --depth === 0) break;
        }
      }
      continue;
    }
    // A function call, or an aggregation with its grouping first: `max without (instance) (x)`.
    const aggregationFirst = next?.kind === "identifier" && (next.text.toLowerCase() === "by" || next.text.toLowerCase() === "without");
    if (KEYWORDS.has(word) || next?.text === "(" || aggregationFirst) continue;
    if (!names.includes(token.text)) names.push(token.text);
  }
  return names;
}

/** Grafana's built-in variables that a query may use, with stand-ins Prometheus accepts. */
export const GRAFANA_BUILTINS: Readonly<Record<string, string>> = {
  __rate_interval: "1m",
  __interval: "1m",
  __interval_ms: "60000",
  __range: "1h",
  __range_s: "3600",
  __range_ms: "3600000",
};

/**
 * Replaces `$name`, `${name}`, `${name:format}` and `[[name]]` with concrete values (Grafana's
 * built-ins included); throws on a variable it has no value for, so none reaches Prometheus.
 */
export function substituteVariables(expr: string, values: Readonly<Record<string, string>>): string {
  const all: Record<string, string> = { ...GRAFANA_BUILTINS, ...values };
  return expr.replace(/\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)\]\]|\$(\w+)/g, (whole, braced?: string, bracketed?: string, bare?: string) => {
    const name = (braced ?? bracketed ?? bare) as string;
    const value = all[name];
    if (value === undefined) throw new Error(`no value for the variable ${whole} in: ${expr}`);
    return value;
  });
}

/** The variables an expression uses, built-ins excluded. */
export function variablesOf(expr: string): string[] {
  const found = new Set<string>();
  for (const m of expr.matchAll(/\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)\]\]|\$(\w+)/g)) {
    const name = (m[1] ?? m[2] ?? m[3]) as string;
    if (!(name in GRAFANA_BUILTINS)) found.add(name);
  }
  return [...found];
}
