package oid4vci

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
