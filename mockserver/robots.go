package mockserver

import (
	"cmp"
	"slices"
	"strings"
	"sync"
)

// Chatbot accounts, as the vendor states them: a UserID of at most 32 bytes
// that starts with @RBT#, at most 20 per app (the page says "per IM
// account"; deskmock counts per app, inferred).
const (
	robotPrefix     = "@RBT#"
	maxRobotsPerApp = 20
	// maxDeletedRobotsPerApp bounds the deleted chatbots an app remembers
	// (delete marks a chatbot invalid, it does not forget it): past it the
	// one deleted first is forgotten.
	maxDeletedRobotsPerApp = 20
	// maxRobotSignatureBytes bounds SelfSignature, as the vendor states.
	maxRobotSignatureBytes = 500
	// maxRobotNickBytes and maxRobotFaceURLBytes bound Nick and FaceUrl,
	// which the vendor does not (inferred).
	maxRobotNickBytes    = 100
	maxRobotFaceURLBytes = 500
)

// RobotState is where a chatbot account is in its life.
type RobotState string

// Chatbot states.
const (
	// RobotValid may stream.
	RobotValid RobotState = "valid"
	// RobotDeleted was deleted: it may not stream, and may be created anew
	// (inferred).
	RobotDeleted RobotState = "deleted"
)

// Robot is one chatbot account of an app.
type Robot struct {
	SDKAppID      uint64     `json:"sdkappid"`
	UserID        string     `json:"user_id"`
	State         RobotState `json:"state"`
	Nick          string     `json:"nick,omitempty"`
	FaceURL       string     `json:"face_url,omitempty"`
	SelfSignature string     `json:"self_signature,omitempty"`
}

// validRobotID reports whether id is a chatbot's UserID.
func validRobotID(id string) bool {
	return strings.HasPrefix(id, robotPrefix) && len(id) <= maxAccountBytes
}

// robotOverhead is what a chatbot holds besides its strings: the struct,
// its map slot and the rounding of its strings' allocations.
const robotOverhead = 160

// robotStore keeps each app's chatbots: at most maxRobotsPerApp valid and
// maxDeletedRobotsPerApp deleted ones per app, whose strings are its own
// copies. Apps are the configured ones (at most maxApps), so the store is
// bounded by both.
type robotStore struct {
	mu    sync.Mutex
	apps  map[uint64]map[string]*Robot
	order map[uint64][]string // deleted chatbots per app, deleted first first
	bytes int64
}

func newRobotStore(apps []App) *robotStore {
	st := &robotStore{}
	st.reset(apps)
	return st
}

// reset forgets every change: the chatbots are the configured ones.
func (st *robotStore) reset(apps []App) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.apps, st.order, st.bytes = map[uint64]map[string]*Robot{}, map[uint64][]string{}, 0
	for _, a := range apps {
		for _, id := range a.Robots {
			st.put(&Robot{SDKAppID: a.SDKAppID, UserID: id, State: RobotValid})
		}
	}
}

// size is what a chatbot counts against the store's bytes.
func (r *Robot) size() int64 {
	return robotOverhead + int64(len(r.UserID)+len(r.Nick)+len(r.FaceURL)+len(r.SelfSignature))
}

// put stores a copy of r, replacing the chatbot of its ID; st.mu is held.
func (st *robotStore) put(r *Robot) {
	own := &Robot{SDKAppID: r.SDKAppID, UserID: strings.Clone(r.UserID), State: r.State,
		Nick: strings.Clone(r.Nick), FaceURL: strings.Clone(r.FaceURL), SelfSignature: strings.Clone(r.SelfSignature)}
	app := st.apps[r.SDKAppID]
	if app == nil {
		app = map[string]*Robot{}
		st.apps[r.SDKAppID] = app
	}
	if old, ok := app[r.UserID]; ok {
		st.bytes -= old.size()
	}
	app[own.UserID] = own
	st.bytes += own.size()
}

// valid reports whether id is a valid chatbot of the app.
func (st *robotStore) valid(sdkappid uint64, id string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	r, ok := st.apps[sdkappid][id]
	return ok && r.State == RobotValid
}

// create makes r a valid chatbot of its app: true when it is one (created,
// or valid already: creating is idempotent and changes nothing), false
// when the app has maxRobotsPerApp valid chatbots already.
func (st *robotStore) create(r Robot) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	app := st.apps[r.SDKAppID]
	if old, ok := app[r.UserID]; ok && old.State == RobotValid {
		return true
	}
	valid := 0
	for _, x := range app {
		if x.State == RobotValid {
			valid++
		}
	}
	if valid >= maxRobotsPerApp {
		return false
	}
	order := st.order[r.SDKAppID]
	if i := slices.Index(order, r.UserID); i >= 0 { // created anew
		st.order[r.SDKAppID] = slices.Delete(order, i, i+1)
	}
	r.State = RobotValid
	st.put(&r)
	return true
}

// remove marks a valid chatbot deleted; false when the app has no valid
// chatbot of that ID.
func (st *robotStore) remove(sdkappid uint64, id string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	r, ok := st.apps[sdkappid][id]
	if !ok || r.State != RobotValid {
		return false
	}
	r.State = RobotDeleted
	order := append(st.order[sdkappid], r.UserID)
	for len(order) > maxDeletedRobotsPerApp {
		gone := st.apps[sdkappid][order[0]]
		st.bytes -= gone.size()
		delete(st.apps[sdkappid], order[0])
		order = order[1:]
	}
	st.order[sdkappid] = order
	return true
}

// list returns the chatbots of an app, or of every app when sdkappid is 0,
// by app and ID; validOnly leaves out the deleted ones.
func (st *robotStore) list(sdkappid uint64, validOnly bool) []Robot {
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []Robot
	for app, robots := range st.apps {
		if sdkappid != 0 && app != sdkappid {
			continue
		}
		for _, r := range robots {
			if !validOnly || r.State == RobotValid {
				out = append(out, *r)
			}
		}
	}
	slices.SortFunc(out, func(a, b Robot) int {
		return cmp.Or(cmp.Compare(a.SDKAppID, b.SDKAppID), strings.Compare(a.UserID, b.UserID))
	})
	return out
}

// held returns the bytes the chatbots hold.
func (st *robotStore) held() int64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.bytes
}
