package calibrate

import (
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSON writes the report as one indented JSON document, UserSigs
// hidden.
func WriteJSON(w io.Writer, rep *Report) error {
	return writeRedacted(w, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("calibrate: json: %w", err)
		}
		return nil
	})
}
