package fakeslack

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Slack's documented Block Kit limits. Enforcing them here makes a test fail
// the way production would, instead of passing with a message Slack rejects.
const (
	maxMessageBlocks = 50
	maxViewBlocks    = 100
	maxSectionText   = 3000
	maxSectionField  = 2000
	maxContextText   = 3000
	maxHeaderText    = 150
)

// textObject is the part of a Block Kit text object the limits look at.
type textObject struct {
	Text string `json:"text"`
}

// checkBlocks reports why raw is not a list of at most limit valid blocks:
// not a JSON array, a block without a type, a repeated block_id, or text over
// Slack's limits. The error text is what the fake reports in
// response_metadata.messages.
func checkBlocks(raw json.RawMessage, limit int) error {
	var blocks []json.RawMessage
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return fmt.Errorf("blocks are not a JSON array: %w", err)
	}
	if len(blocks) > limit {
		return fmt.Errorf("%d blocks, more than %d", len(blocks), limit)
	}
	ids := map[string]bool{}
	for i, b := range blocks {
		var head struct {
			Type    string `json:"type"`
			BlockID string `json:"block_id"`
		}
		if err := json.Unmarshal(b, &head); err != nil || head.Type == "" {
			return fmt.Errorf("block %d: not an object with a type", i)
		}
		if head.BlockID != "" && ids[head.BlockID] {
			return fmt.Errorf("block %d: block_id %q is repeated", i, head.BlockID)
		}
		ids[head.BlockID] = true
		if err := checkBlockText(head.Type, b); err != nil {
			return fmt.Errorf("block %d (%s): %w", i, head.Type, err)
		}
	}
	return nil
}

// checkBlockText applies the text limits of the block types that have them.
// Other types are left alone: their "text" and "elements" have other shapes.
func checkBlockText(typ string, raw json.RawMessage) error {
	var b struct {
		Text     *textObject  `json:"text"`
		Fields   []textObject `json:"fields"`
		Elements []textObject `json:"elements"`
	}
	switch typ {
	case "section", "header", "context":
		if err := json.Unmarshal(raw, &b); err != nil {
			return err
		}
	default:
		return nil
	}
	switch typ {
	case "section":
		if b.Text != nil {
			if err := checkLen("text", b.Text.Text, maxSectionText); err != nil {
				return err
			}
		}
		return checkLens("fields", b.Fields, maxSectionField)
	case "header":
		if b.Text == nil {
			return errors.New("header without text")
		}
		return checkLen("text", b.Text.Text, maxHeaderText)
	default: // context
		return checkLens("elements", b.Elements, maxContextText)
	}
}

// checkLens applies checkLen to each of a block's text objects.
func checkLens(what string, texts []textObject, limit int) error {
	for i, t := range texts {
		if err := checkLen(fmt.Sprintf("%s[%d]", what, i), t.Text, limit); err != nil {
			return err
		}
	}
	return nil
}

// checkLen counts characters, not bytes, as Slack does.
func checkLen(what, text string, limit int) error {
	if n := utf8.RuneCountInString(text); n > limit {
		return fmt.Errorf("%s is %d characters, more than %d", what, n, limit)
	}
	return nil
}
