// Package readme finds the parts of README.md (a marked section, the text
// under a heading, its code blocks) for the tests that keep the README
// true. Its own tests check that the tables and the walk-through in the
// README match what the code does.
package readme
