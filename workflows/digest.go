package workflows

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ReviewSection names one message of a posted review: the thread parent
// (the summary) or one of its replies.
type ReviewSection string

// Review sections, in the order they are posted.
const (
	SectionSummary     ReviewSection = "summary" // the thread parent
	SectionNumbers     ReviewSection = "numbers"
	SectionMovers      ReviewSection = "movers"
	SectionExperiments ReviewSection = "experiments"
	SectionGoals       ReviewSection = "goals"
	SectionQuestions   ReviewSection = "questions"
	SectionChart       ReviewSection = "chart"   // a picture, uploaded into the thread
	SectionHoldout     ReviewSection = "holdout" // only for a team with a holdout
)

// ReviewReplies are the sections posted as replies under the summary.
var ReviewReplies = []ReviewSection{SectionNumbers, SectionMovers, SectionExperiments, SectionGoals, SectionQuestions}

// ReviewMessage is one section of a review as a message.
type ReviewMessage struct {
	Review  Review
	Section ReviewSection
	// Preview marks the summary shown only to the asker: it offers "Post to
	// channel" instead of the lead's buttons.
	Preview bool
}

// PayloadKind implements Content.
func (ReviewMessage) PayloadKind() PayloadKind { return KindReview }

// ReviewDecided replaces the posted summary once the lead has decided:
// Original is the summary's payload (or, for a summary enqueued before
// messages carried data, OriginalBody its body as posted), Record holds the
// decision.
type ReviewDecided struct {
	Team         Team
	Record       ReviewRecord
	Original     Payload  `json:",omitzero"`
	OriginalBody Rendered `json:",omitzero"`
}

// PayloadKind implements Content.
func (ReviewDecided) PayloadKind() PayloadKind { return KindReviewDecided }

// ReviewDecisionNote tells the review's thread what the lead decided.
type ReviewDecisionNote struct {
	Team   Team
	Record ReviewRecord
}

// PayloadKind implements Content.
func (ReviewDecisionNote) PayloadKind() PayloadKind { return KindReviewDecisionNote }

// maxChanges bounds the text of a change of course.
const maxChanges = 2000

// RunDigest posts the monthly growth review of each team (or opts.Team) to
// its channel. In each team's time zone, the review is of the previous
// calendar month (or opts.Period, YYYY-MM). The month just ended posts on
// the first weekday (Monday to Friday) of the new month or later: a
// schedule firing on days 1-3 posts on the first weekday, whether or not
// it names the period; opts.Force posts before. Each team and month posts
// once, whoever asks (the schedule or the "Post to channel" button), unless
// opts.Force.
func (s *Service) RunDigest(ctx context.Context, opts JobOptions) (JobReport, error) {
	var report JobReport
	if opts.Period != "" {
		if err := checkMonth(opts.Period); err != nil {
			return report, err
		}
	}
	teams, err := s.jobTeams(ctx, opts)
	if err != nil {
		return report, err
	}
	now := s.Clock.Now()
	var errs []error
	for _, t := range teams {
		if err := ctx.Err(); err != nil {
			return report, errors.Join(append(errs, err)...)
		}
		month, why := digestDue(t, now, opts)
		if why != "" {
			report.add("%s %s %s: skipped, %s", JobDigest, t.Key, month, why)
			continue
		}
		if _, err := s.postReviewOnce(ctx, ActorScheduler, t, month, opts.Force, &report); err != nil {
			errs = append(errs, fmt.Errorf("digest of %s for %s: %w", t.Key, month, err))
		}
	}
	return report, errors.Join(errs...)
}

// digestDue returns the month a digest run at now is about for team t, and
// why it is not due, or "" when it is.
func digestDue(t Team, now time.Time, opts JobOptions) (month, why string) {
	loc := t.Location()
	local := now.In(loc)
	latest := PreviousMonth(now, loc)
	month = cmp.Or(opts.Period, latest)
	if opts.Force {
		return month, ""
	}
	if why := notOver(t, month, now); why != "" {
		return month, why
	}
	if first := firstWeekday(local); month == latest && local.Before(first) {
		return month, fmt.Sprintf("it is %s in %s, and the digest posts on the first weekday of the month, %s; --force posts it now",
			local.Weekday(), loc, first.Weekday().String()+" "+DayText(first))
	}
	return month, ""
}

// notOver says why a month is not over yet in the team's time zone, or ""
// when it is: a review is only posted for a whole month.
func notOver(t Team, month string, now time.Time) string {
	if now.Before(monthStart(month, 1, t.Location())) {
		return fmt.Sprintf("%s is not over yet in %s", month, t.Location())
	}
	return ""
}

// firstWeekday returns the first instant of the first Monday-to-Friday day
// of local's month.
func firstWeekday(local time.Time) time.Time {
	d := time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, local.Location())
	for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

// PostReview posts a team's review of a month to its channel on behalf of
// actor, a member of the team: the "Post to channel" button. It shares the
// digest job's once-per-team-and-month record, so a review the schedule
// posted is not posted again. Errors: ENOTFOUND, EFORBIDDEN, EINVALID for a
// bad month, ECONFLICT when the month is not over or the review was posted.
func (s *Service) PostReview(ctx context.Context, actor, team, month string) (Team, error) {
	var t Team
	err := s.Store.View(ctx, func(tx Tx) error {
		var err error
		if t, err = tx.Team(team); err != nil {
			return err
		}
		return mayAct(actor, t)
	})
	if err != nil {
		return t, err
	}
	if err := checkMonth(month); err != nil {
		return t, err
	}
	if why := notOver(t, month, s.Clock.Now()); why != "" {
		return t, Errorf(ECONFLICT, "the review of %s cannot be posted yet: %s", month, why)
	}
	var report JobReport
	ran, err := s.postReviewOnce(ctx, actor, t, month, false, &report)
	if err != nil || ran {
		return t, err
	}
	var rec ReviewRecord
	if err := s.Store.View(ctx, func(tx Tx) error { rec, err = reviewRecord(tx, t.Key, month); return err }); err != nil {
		return t, err
	}
	if rec.MessageKey == "" {
		return t, Errorf(ECONFLICT, "the %s review of %s is being posted right now", month, t.Name)
	}
	return t, Errorf(ECONFLICT, "the %s review of %s was already posted to its channel (by the schedule or a teammate); "+
		"an operator can post it again with growthbot jobs run digest --team %s --period %s --force", month, t.Name, t.Key, month)
}

// postReviewOnce posts the review under the digest job's exactly-once
// record for the team and month; it reports whether it ran.
func (s *Service) postReviewOnce(ctx context.Context, actor string, t Team, month string, force bool, report *JobReport) (bool, error) {
	return s.runOnce(ctx, JobDigest, t.Key, month, force, report, func(ctx context.Context) error {
		n, key, err := s.postReview(ctx, actor, t.Key, month, force)
		if err == nil {
			report.add("%s %s %s: posted %s to %s (%d messages)", JobDigest, t.Key, month, key, t.Channel, n)
		}
		return err
	})
}

// postReview assembles the review and enqueues its messages: the summary
// as the thread parent, a reply per section and the chart. The outbox keys
// make a rerun after a crash post nothing twice; a forced run posts anew
// under fresh keys. It returns how many messages it added and the parent's
// key.
func (s *Service) postReview(ctx context.Context, actor, team, month string, force bool) (int, string, error) {
	rv, err := s.Review(ctx, team, month)
	if err != nil {
		return 0, "", err
	}
	added := 0
	key := ReviewKey(team, month)
	err = s.Store.Update(ctx, func(tx Tx) error {
		added = 0
		rec, err := reviewRecord(tx, team, month)
		if err != nil {
			return err
		}
		rv.Record = rec
		if force {
			if key, err = freshReviewKey(tx, ReviewKey(team, month)); err != nil {
				return err
			}
		}
		enqueue := func(m Message, section ReviewSection) error {
			m.Channel = rv.Team.Channel
			ok, err := s.Enqueue(tx, m, ReviewMessage{Review: rv, Section: section})
			if ok {
				added++
			}
			return err
		}
		if err := enqueue(Message{Key: key, Op: OpPost}, SectionSummary); err != nil {
			return err
		}
		for _, sec := range ReviewReplies {
			if err := enqueue(Message{Key: key + ":" + string(sec), Op: OpPost, Parent: key}, sec); err != nil {
				return err
			}
		}
		if rv.Holdout != nil {
			if err := enqueue(Message{Key: key + ":" + string(SectionHoldout), Op: OpPost, Parent: key}, SectionHoldout); err != nil {
				return err
			}
		}
		if rv.HasTrend() {
			if err := enqueue(Message{Key: key + ":" + string(SectionChart), Op: OpUpload, Parent: key}, SectionChart); err != nil {
				return err
			}
		}
		before := rec
		rec.MessageKey, rec.PostedAt = key, tx.Now()
		if err := tx.PutReviewRecord(rec); err != nil {
			return err
		}
		return audit(tx, actor, "review.post", ReviewKey(team, month), "", before, rec)
	})
	return added, key, err
}

// freshReviewKey returns base if no message has it yet, else the first
// free base:force:N, so that a forced run posts a new digest.
func freshReviewKey(tx Tx, base string) (string, error) {
	key := base
	for n := 2; ; n++ {
		_, err := tx.MessageByKey(key)
		switch {
		case ErrorCode(err) == ENOTFOUND:
			return key, nil
		case err != nil:
			return "", err
		}
		key = fmt.Sprintf("%s:force:%d", base, n)
	}
}

// CheckReviewDecision reports whether actor may decide the course of the
// team's review of month now, before a form asks what changes. Errors as
// DecideReview's.
func (s *Service) CheckReviewDecision(ctx context.Context, actor, team, month string) (Team, error) {
	var t Team
	err := s.Store.View(ctx, func(tx Tx) error {
		var err error
		t, _, err = decidable(tx, actor, team, month)
		return err
	})
	return t, err
}

// DecideReview records the lead's decision on a posted review: stay the
// course, or change it and say what changes. The posted summary is updated
// to show the decision without its buttons, the thread is told, and next
// month's review shows it at the top. Errors: ENOTFOUND for an unknown
// team, EFORBIDDEN for anyone but the team lead, EINVALID for a change
// without a description, ECONFLICT for a review not posted or already
// decided.
func (s *Service) DecideReview(ctx context.Context, actor, team, month string, course Course, changes string) (ReviewRecord, error) {
	var rec ReviewRecord
	err := s.Store.Update(ctx, func(tx Tx) error {
		t, r, err := decidable(tx, actor, team, month)
		if err != nil {
			return err
		}
		changes = strings.TrimSpace(changes)
		switch {
		case course == CourseStay:
			changes = ""
		case course != CourseChange:
			return Errorf(EINVALID, "the course is stay or change, not %q", course)
		case changes == "" || len(changes) > maxChanges:
			return Errorf(EINVALID, "say what changes, in 1 to %d characters", maxChanges)
		}
		before := r
		r.Course, r.Changes, r.DecidedBy, r.DecidedAt = course, changes, actor, tx.Now()
		if err := tx.PutReviewRecord(r); err != nil {
			return err
		}
		if err := audit(tx, actor, "review."+string(course), ReviewKey(team, month), changes, before, r); err != nil {
			return err
		}
		parent, err := tx.MessageByKey(r.MessageKey)
		if err != nil {
			return err
		}
		if _, err := s.Enqueue(tx, Message{Key: r.MessageKey + ":decision", Op: OpUpdate, Target: r.MessageKey},
			ReviewDecided{Team: t, Record: r, Original: parent.Payload, OriginalBody: parent.Body}); err != nil {
			return err
		}
		_, err = s.Enqueue(tx, Message{Key: r.MessageKey + ":decision:reply", Op: OpPost, Channel: t.Channel, Parent: r.MessageKey},
			ReviewDecisionNote{Team: t, Record: r})
		rec = r
		return err
	})
	return rec, err
}

// decidable checks that actor may decide the review now.
func decidable(tx Tx, actor, team, month string) (Team, ReviewRecord, error) {
	t, err := tx.Team(team)
	if err != nil {
		return t, ReviewRecord{}, err
	}
	if err := checkMonth(month); err != nil {
		return t, ReviewRecord{}, err
	}
	if t.Lead == "" {
		return t, ReviewRecord{}, Errorf(EFORBIDDEN, "team %s has no lead in the config file, and only the lead decides the course", t.Name)
	}
	if actor != t.Lead {
		return t, ReviewRecord{}, Errorf(EFORBIDDEN, "only the team lead decides the course after %s's growth review", t.Name)
	}
	r, err := reviewRecord(tx, t.Key, month)
	switch {
	case err != nil:
		return t, r, err
	case r.MessageKey == "":
		return t, r, Errorf(ECONFLICT, "the %s review of %s has not been posted, so there is nothing to decide yet", month, t.Name)
	case r.Decided():
		return t, r, Errorf(ECONFLICT, "the course for %s is already decided: %s on %s", month, describeCourse(r),
			DayText(r.DecidedAt.In(t.Location())))
	}
	return t, r, nil
}

func describeCourse(r ReviewRecord) string {
	if r.Course == CourseChange {
		return "change course"
	}
	return "stay the course"
}

// jobTeams returns the team a job run names (opts.Team), or every team.
func (s *Service) jobTeams(ctx context.Context, opts JobOptions) ([]Team, error) {
	var teams []Team
	err := s.Store.View(ctx, func(tx Tx) error {
		if opts.Team != "" {
			t, err := tx.Team(opts.Team)
			teams = []Team{t}
			return err
		}
		var err error
		teams, err = tx.Teams()
		return err
	})
	return teams, err
}
