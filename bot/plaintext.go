package bot

import (
	"encoding/json"
	"fmt"
	"html"
	"regexp"
	"strings"
)

// PlainText renders a message's Block Kit blocks (JSON) as terminal text,
// the way Slack would show them: the console and the demo use it. It also
// returns the buttons in the order they appear.
func PlainText(text string, blocksJSON []byte) (string, []PlainButton) {
	var blocks []map[string]any
	if len(blocksJSON) == 0 || json.Unmarshal(blocksJSON, &blocks) != nil || len(blocks) == 0 {
		return mrkdwnToText(text) + "\n", nil
	}
	var b strings.Builder
	var buttons []PlainButton
	for _, blk := range blocks {
		switch blk["type"] {
		case "header":
			t := mrkdwnToText(textOf(blk["text"]))
			fmt.Fprintf(&b, "%s\n%s\n", t, strings.Repeat("━", min(displayWidth(t), 60)))
		case "section":
			if t := textOf(blk["text"]); t != "" {
				line := mrkdwnToText(t)
				if acc, ok := blk["accessory"].(map[string]any); ok && acc["type"] == "button" {
					btn := plainButton(acc, blk)
					buttons = append(buttons, btn)
					line += "  [ " + btn.Label + " ]"
				}
				b.WriteString(line + "\n")
			}
			if fields, ok := blk["fields"].([]any); ok {
				for i := 0; i < len(fields); i += 2 {
					left := mrkdwnToText(textOf(fields[i]))
					right := ""
					if i+1 < len(fields) {
						right = mrkdwnToText(textOf(fields[i+1]))
					}
					b.WriteString(columns(left, right))
				}
			}
		case "context":
			var parts []string
			for _, e := range asList(blk["elements"]) {
				parts = append(parts, mrkdwnToText(textOf(e)))
			}
			b.WriteString("  › " + strings.Join(parts, "  ") + "\n")
		case "divider":
			b.WriteString(strings.Repeat("─", 60) + "\n")
		case "image":
			fmt.Fprintf(&b, "  [picture: %s]\n", blk["alt_text"])
		case "actions":
			var labels []string
			for _, e := range asList(blk["elements"]) {
				m, _ := e.(map[string]any)
				btn := plainButton(m, blk)
				buttons = append(buttons, btn)
				labels = append(labels, "[ "+btn.Label+" ]")
			}
			b.WriteString("  " + strings.Join(labels, "  ") + "\n")
		case "input":
			fmt.Fprintf(&b, "  [%s: ____]\n", mrkdwnToText(textOf(blk["label"])))
		}
	}
	return b.String(), buttons
}

func plainButton(m, block map[string]any) PlainButton {
	id, _ := m["action_id"].(string)
	value, _ := m["value"].(string)
	blockID, _ := block["block_id"].(string)
	return PlainButton{Label: mrkdwnToText(textOf(m["text"])), ActionID: id, Value: value, BlockID: blockID}
}

// PlainButton is a button shown in plain text; the console presses it when
// its label is typed.
type PlainButton struct {
	Label, ActionID, Value, BlockID string
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func textOf(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	s, _ := m["text"].(string)
	return s
}

func columns(left, right string) string {
	l := strings.Split(left, "\n")
	r := strings.Split(right, "\n")
	var b strings.Builder
	for i := range max(len(l), len(r)) {
		var a, c string
		if i < len(l) {
			a = l[i]
		}
		if i < len(r) {
			c = r[i]
		}
		b.WriteString(strings.TrimRight(fmt.Sprintf("%-34s %s", a, c), " ") + "\n")
	}
	return b.String()
}

func displayWidth(s string) int { return len([]rune(s)) }

var (
	linkPattern   = regexp.MustCompile(`<([^<>|]+)\|([^<>]+)>`)
	boldPattern   = regexp.MustCompile(`\*([^*\n]+)\*`)
	italicPattern = regexp.MustCompile(`(^|[\s(])_([^_\n]+)_([\s.,;:)]|$)`)
	barePattern   = regexp.MustCompile(`<([@#!]?)([^<>|]+)>`)
	emojiPattern  = regexp.MustCompile(`:([a-z0-9_+-]+):`)
)

var emoji = map[string]string{
	"white_check_mark": "✅", "x": "❌", "warning": "⚠️", "rocket": "🚀", "no_entry": "⛔", "no_entry_sign": "🚫",
	"large_green_circle": "🟢", "red_circle": "🔴", "large_yellow_circle": "🟡", "hourglass_flowing_sand": "⏳",
	"pencil2": "✏️", "mag": "🔍", "dart": "🎯", "wastebasket": "🗑️", "hammer_and_wrench": "🛠️", "chart_with_upwards_trend": "📈",
	"chart_with_downwards_trend": "📉", "bell": "🔔", "rotating_light": "🚨", "arrow_up": "⬆️", "arrow_down": "⬇️",
	"heavy_minus_sign": "➖", "thinking_face": "🤔", "bar_chart": "📊", "memo": "📝", "pause_button": "⏸️",
	"arrow_forward": "▶️", "repeat": "🔁", "balance_scale": "⚖️", "tada": "🎉", "mega": "📣", "question": "❓",
	"green_heart": "💚", "busts_in_silhouette": "👥", "calendar": "📅", "star": "⭐", "test_tube": "🧪",
	"white_circle": "⚪", "electric_plug": "🔌", "zzz": "💤",
}

// mrkdwnToText turns Slack mrkdwn into what a reader sees: links as their
// labels, mentions as @ids, emoji codes as emoji, escapes undone.
func mrkdwnToText(s string) string {
	s = linkPattern.ReplaceAllStringFunc(s, func(m string) string {
		p := linkPattern.FindStringSubmatch(m)
		if strings.HasPrefix(p[1], "!date^") || strings.HasPrefix(p[1], "@") || strings.HasPrefix(p[1], "#") {
			if strings.HasPrefix(p[1], "@") {
				return "@" + p[2]
			}
			if strings.HasPrefix(p[1], "#") {
				return "#" + p[2]
			}
			return p[2]
		}
		return p[2] + " (" + p[1] + ")"
	})
	s = barePattern.ReplaceAllString(s, "$1$2")
	s = boldPattern.ReplaceAllString(s, "$1")
	s = italicPattern.ReplaceAllString(s, "$1$2$3")
	s = strings.ReplaceAll(s, "@@", "@")
	s = emojiPattern.ReplaceAllStringFunc(s, func(m string) string {
		if e, ok := emoji[strings.Trim(m, ":")]; ok {
			return e
		}
		return m
	})
	return html.UnescapeString(s)
}
