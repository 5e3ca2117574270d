package bot

// Truncate is truncate, for tests.
var Truncate = truncate
