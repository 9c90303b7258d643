// Package packaging holds no code: its tests check how deskmock is built and
// shipped: the Dockerfile's image and the release image alike, the release
// script, and, with a container engine, the release image run for real.
package packaging
