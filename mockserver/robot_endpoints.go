package mockserver

import (
	"strconv"

	"github.com/deskmock/deskmock/internal/textcut"
	"github.com/deskmock/deskmock/mockserver/codes"
	"github.com/deskmock/deskmock/mockserver/internal/fastpath"
)

// This file is what the chatbot accounts' endpoints do once a request
// passed the checks every endpoint runs: their endpoint values' act.

// createRobot creates the chatbot of a create_robot body: idempotent, at
// most maxRobotsPerApp per app.
func (s *Server) createRobot(in *incoming, out *outcome) verdict {
	m := in.req.(*fastpath.CreateRobot)
	id := m.UserID.V
	if !validRobotID(id) {
		return fail(codes.CheckRobotIDMalformed, robotIDProblem("UserID", id))
	}
	r := Robot{SDKAppID: in.app.SDKAppID, UserID: id}
	r.Nick, r.FaceURL, r.SelfSignature = m.Nick.V, m.FaceUrl.V, m.SelfSignature.V
	for _, f := range []struct {
		name  string
		value string
		max   int
	}{{"Nick", r.Nick, maxRobotNickBytes}, {"FaceUrl", r.FaceURL, maxRobotFaceURLBytes}, {"SelfSignature", r.SelfSignature, maxRobotSignatureBytes}} {
		if len(f.value) > f.max {
			return fail(codes.CheckBodySchema, "/"+f.name+": "+strconv.Itoa(len(f.value))+" bytes, over the limit of "+strconv.Itoa(f.max))
		}
	}
	if !s.robots.create(r) {
		return fail(codes.CheckRobotLimit, "app "+strconv.FormatUint(r.SDKAppID, 10)+" has "+strconv.Itoa(maxRobotsPerApp)+" chatbots already; delete one first")
	}
	return verdict{}
}

// deleteRobot marks the chatbot of a delete_robot body deleted.
func (s *Server) deleteRobot(in *incoming, out *outcome) verdict {
	id := in.req.(*fastpath.DeleteRobot).Robot_Account.V
	if !validRobotID(id) {
		return fail(codes.CheckRobotIDMalformed, robotIDProblem("Robot_Account", id))
	}
	if !s.robots.remove(in.app.SDKAppID, id) {
		return fail(codes.CheckRobotUnknown, "app "+strconv.FormatUint(in.app.SDKAppID, 10)+" has no valid chatbot "+strconv.Quote(id))
	}
	return verdict{}
}

// getAllRobots answers the app's valid chatbots as Robot_Account.
func (s *Server) getAllRobots(in *incoming, out *outcome) verdict {
	b := append(make([]byte, 0, 64), `"Robot_Account":[`...)
	for i, r := range s.robots.list(in.app.SDKAppID, true) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, r.UserID)
	}
	out.rep.extra = append(b, ']')
	return verdict{}
}

// robotIDProblem says why a chatbot's UserID is not one.
func robotIDProblem(field, id string) string {
	return field + " " + textcut.Cut(strconv.Quote(id), 64) + " does not start with " + robotPrefix + " or is longer than " + strconv.Itoa(maxAccountBytes) + " bytes"
}
