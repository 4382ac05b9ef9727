/** Azure's quota for the text of one SQL filter or action. */
export const MAX_SQL_EXPRESSION_LENGTH = 1024;

/**
 * How deeply an expression may nest (parentheses, NOT, signs, function arguments), which the
 * parser descends through. Real rules stay in the tens; thousands of levels would overflow the
 * parser's or the evaluator's stack. A flat chain (`1+1+…`) is not nesting: the parser loops
 * over it, and the length quota keeps its tree to about 512 levels.
 */
export const MAX_NESTING_DEPTH = 256;

const LEVELS = `more than ${MAX_NESTING_DEPTH} levels`;
export const NESTING_DETAIL = `The expression nests too deeply (${LEVELS})`;
