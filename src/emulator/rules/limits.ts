/** Azure's quota for the text of one SQL filter or action. */
export const MAX_SQL_EXPRESSION_LENGTH = 1024;

/**
 * How deeply an expression may nest (parentheses, NOT, signs, function arguments, and chains
 * of operators, each of which the evaluator walks recursively). Real rules stay in the tens;
 * thousands of levels would overflow the parser's or the evaluator's stack.
 */
export const MAX_NESTING_DEPTH = 256;

const LEVELS = `more than ${MAX_NESTING_DEPTH} levels`;
export const NESTING_DETAIL = `The expression nests too deeply (${LEVELS})`;
