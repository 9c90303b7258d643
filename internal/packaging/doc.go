// Package packaging holds no code: its tests check how deskmock is built and
// shipped, the Dockerfile's image and the release script, where no container
// engine can build the image.
package packaging
