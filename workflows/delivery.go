package workflows

import "context"

// DeliveryOutcome is what recording an inbound delivery found.
type DeliveryOutcome int

// Delivery outcomes.
const (
	DeliveryNew    DeliveryOutcome = iota // never seen: apply it
	DeliveryReplay                        // the same request again: refuse it
	DeliveryRetry                         // a new request carrying a delivery already applied: ignore it
)

// InboundDelivery names a request an adapter received: Request names the
// request itself, which a legitimate sender never repeats; ID (optional) the
// delivery it carries, which the sender's retries repeat.
type InboundDelivery struct {
	Request string
	ID      string
}

// RecordDeliveries records inbound deliveries, all in one transaction, and
// says of each whether it is new, a replay or a retry, so that nothing a
// sender retries is applied twice. An adapter batches the requests that
// arrive while a batch is being written (group commit): the store has one
// writer, and every request needs its record before it is answered.
func (s *Service) RecordDeliveries(ctx context.Context, ds []InboundDelivery) ([]DeliveryOutcome, error) {
	out := make([]DeliveryOutcome, len(ds))
	err := s.Store.Update(ctx, func(tx Tx) error {
		for i, d := range ds {
			out[i] = DeliveryNew
			isNew, err := tx.RecordDelivery(d.Request)
			if err != nil {
				return err
			}
			if !isNew {
				out[i] = DeliveryReplay
				continue
			}
			if d.ID == "" {
				continue
			}
			if isNew, err = tx.RecordDelivery(d.ID); err != nil {
				return err
			} else if !isNew {
				out[i] = DeliveryRetry
			}
		}
		return nil
	})
	return out, err
}
