package oid4vci

import (
	"fmt"
	"net/http"
)

// NotificationEvent is the event of a Notification Request (§11.1).
type NotificationEvent string

// The notification events (§11.1). Partial failure of a batch is a
// failure of the whole issuance.
const (
	// EventCredentialAccepted: the credentials were stored in the wallet.
	EventCredentialAccepted NotificationEvent = "credential_accepted"
	// EventCredentialFailure: issuance failed for a reason other than a
	// user action.
	EventCredentialFailure NotificationEvent = "credential_failure"
	// EventCredentialDeleted: issuance failed because of a user action.
	EventCredentialDeleted NotificationEvent = "credential_deleted"
)

// NotificationRequest is a Notification Request (§11.1), sent as
// application/json with the access token. The issuer answers 204 No
// Content (§11.2), also for a repeated identical notification.
type NotificationRequest struct {
	// NotificationID is the notification_id of the Credential Response.
	// REQUIRED.
	NotificationID string `json:"notification_id"`
	// Event is what happened. REQUIRED.
	Event NotificationEvent `json:"event"`
	// EventDescription is human-readable ASCII (%x20-21 / %x23-5B /
	// %x5D-7E). OPTIONAL.
	EventDescription string `json:"event_description,omitempty"`
}

// MaxNotificationRequestSize caps the body of a Notification Request.
const MaxNotificationRequestSize = 4 << 10

// ReadNotificationRequest reads the Notification Request of r for a
// Notification Endpoint: an HTTP POST with an application/json body
// (§11.1) of at most [MaxNotificationRequestSize] bytes, parsed with
// [ParseNotificationRequest]. Errors are *ProtocolError for [WriteError].
// The access token is read with [ReadAccessToken].
func ReadNotificationRequest(r *http.Request) (*NotificationRequest, error) {
	body, err := readJSONRequest(r, MaxNotificationRequestSize, CodeInvalidNotificationRequest)
	if err != nil {
		return nil, err
	}
	return ParseNotificationRequest(body)
}

// ParseNotificationRequest parses a Notification Request (§11.1)
// strictly: notification_id REQUIRED; event REQUIRED, one of the three
// events; event_description ASCII of %x20-21 / %x23-5B / %x5D-7E only.
// Errors are *ProtocolError with invalid_notification_request (§11.3),
// wrapping [ErrMalformed]. Unrecognized parameters are ignored (§11.1).
// Whether the notification_id is one the issuer gave out is the caller's
// check (invalid_notification_id).
func ParseNotificationRequest(data []byte) (*NotificationRequest, error) {
	fail := func(detail string) (*NotificationRequest, error) {
		return nil, &ProtocolError{Status: http.StatusBadRequest, Code: CodeInvalidNotificationRequest, Description: detail,
			Err: fmt.Errorf("%w: notification request: %s", ErrMalformed, detail)}
	}
	f, err := decodeObject("notification request", data, MaxNotificationRequestSize, 2)
	if err != nil {
		return fail(err.Error())
	}
	r := &NotificationRequest{
		NotificationID:   f.Str("notification_id", true),
		Event:            NotificationEvent(f.Str("event", true)),
		EventDescription: f.Text("event_description"),
	}
	switch r.Event {
	case "", EventCredentialAccepted, EventCredentialFailure, EventCredentialDeleted:
	default:
		// §11.1: event is one of the three values, case-sensitive.
		f.Failf("event", "%.32q is not a notification event", r.Event)
	}
	for i := 0; i < len(r.EventDescription); i++ {
		// §11.1: no characters outside %x20-21 / %x23-5B / %x5D-7E.
		if !errorChar(r.EventDescription[i]) {
			f.Failf("event_description", "character %#x not allowed", r.EventDescription[i])
			break
		}
	}
	if err := f.Err(); err != nil {
		return fail(err.Error())
	}
	return r, nil
}
