package incident

import "context"

// Approvals lists approval requests. Needs view.
func (s *Service) Approvals(ctx context.Context, a Actor, q ApprovalQuery) ([]Approval, error) {
	return nil, errNotYet
}

// Approval returns one approval request. Needs view.
func (s *Service) Approval(ctx context.Context, a Actor, id int64) (*Approval, error) {
	return nil, errNotYet
}

// Approve records the actor's approval. The requester cannot approve,
// nobody approves twice, and the actor needs approval.decide on the
// system. When the approvals reach the incident's RequiredApprovals the
// move happens in the same transaction, after every guard is checked
// again.
func (s *Service) Approve(ctx context.Context, a Actor, id int64, note string) (*Decided, error) {
	return nil, errNotYet
}

// Reject rejects a pending request with a note. Needs approval.decide;
// the requester cannot reject their own request (they cancel it).
func (s *Service) Reject(ctx context.Context, a Actor, id int64, note string) (*Approval, error) {
	return nil, errNotYet
}

// CancelApproval withdraws a pending request: the requester always may,
// others need approval.cancel.
func (s *Service) CancelApproval(ctx context.Context, a Actor, id int64, note string) (*Approval, error) {
	return nil, errNotYet
}
