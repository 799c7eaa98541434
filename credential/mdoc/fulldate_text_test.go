package mdoc

import (
	"encoding/json"
	"testing"
	"time"
)

// TestFullDateText: a FullDate is "YYYY-MM-DD" in JSON both ways, and an
// impossible date is refused either way.
func TestFullDateText(t *testing.T) {
	d := FullDate{Year: 1995, Month: time.August, Day: 17}
	b, err := json.Marshal(map[string]any{"birth_date": d})
	if err != nil || string(b) != `{"birth_date":"1995-08-17"}` {
		t.Fatalf("json: %s, %v", b, err)
	}
	var back struct{ D FullDate }
	if err := json.Unmarshal([]byte(`{"D":"1995-08-17"}`), &back); err != nil || back.D != d {
		t.Fatalf("unmarshal: %+v, %v", back.D, err)
	}
	if err := json.Unmarshal([]byte(`{"D":"1995-02-30"}`), &back); err == nil {
		t.Fatal("1995-02-30 accepted")
	}
	if _, err := json.Marshal(FullDate{Year: 1995, Month: 13, Day: 1}); err == nil {
		t.Fatal("month 13 marshalled")
	}
}
