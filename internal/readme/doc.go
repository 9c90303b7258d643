// Package readme keeps README.md true: its tests check that the tables and
// the walk-through in the README match what the code does.
package readme
