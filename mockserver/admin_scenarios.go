package mockserver

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/deskmock/deskmock/mockserver/scenario"
)

// The admin API plays scenarios: POST one (YAML or JSON), GET the plays'
// status, DELETE to stop them.

// scenarioRoutes adds the scenarios' routes under the admin prefix.
func (s *Server) scenarioRoutes(r *mux.Router) {
	p := adminPrefix + "/scenarios"
	r.Handle(p, s.requireToken(allowParams(s.postScenario))).Methods(http.MethodPost)
	r.Handle(p, s.requireToken(allowParams(s.read(s.getScenarios)))).Methods(http.MethodGet)
	r.Handle(p, s.requireToken(allowParams(s.deleteScenarios))).Methods(http.MethodDelete)
	r.Handle(p+"/{id}", s.requireToken(allowParams(s.read(s.getScenario)))).Methods(http.MethodGet)
	r.Handle(p+"/{id}", s.requireToken(allowParams(s.deleteScenario))).Methods(http.MethodDelete)
}

// postScenario starts a scenario, the body's YAML or JSON: 201 and its
// status; 400 naming the line of a bad one; 409 while 8 are running.
func (s *Server) postScenario(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > scenario.MaxBytes {
		adminError(w, http.StatusRequestEntityTooLarge, errAdminBodyTooLarge.Error())
		return
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, scenario.MaxBytes+1))
	if err != nil {
		adminError(w, http.StatusBadRequest, "reading the body: "+err.Error())
		return
	}
	if len(b) > scenario.MaxBytes {
		adminError(w, http.StatusRequestEntityTooLarge, errAdminBodyTooLarge.Error())
		return
	}
	sc, err := scenario.Parse("(body)", b)
	if err != nil {
		adminError(w, http.StatusBadRequest, err.Error())
		return
	}
	// The play outlives the request: it ends by itself, or by DELETE.
	p, err := s.PlayScenario(context.Background(), sc, "admin API")
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, ErrTooManyScenarios) {
			status = http.StatusConflict
		}
		adminError(w, status, err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, p.Status())
}

// getScenarios answers the status of the plays the server keeps, oldest
// first.
func (s *Server) getScenarios(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"scenarios": s.Scenarios()})
}

func (s *Server) getScenario(w http.ResponseWriter, r *http.Request) {
	p := s.scenarioPlay(mux.Vars(r)["id"])
	if p == nil {
		adminError(w, http.StatusNotFound, "no scenario has this id")
		return
	}
	writeJSON(w, http.StatusOK, p.Status())
}

// deleteScenario stops a play; its status stays until a new play needs
// its room.
func (s *Server) deleteScenario(w http.ResponseWriter, r *http.Request) {
	p := s.scenarioPlay(mux.Vars(r)["id"])
	if p == nil {
		adminError(w, http.StatusNotFound, "no scenario has this id")
		return
	}
	p.Stop()
	writeJSON(w, http.StatusOK, p.Status())
}

// deleteScenarios stops every play and forgets them.
func (s *Server) deleteScenarios(w http.ResponseWriter, r *http.Request) {
	s.StopScenarios()
	w.WriteHeader(http.StatusNoContent)
}
