package estate

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
)

// itemsCSV is one parsed items file.
type itemsCSV struct {
	items []BacklogItem
	srcs  []itemSrc
	used  bool
}

// parseItemsCSV reads a CSV file of backlog items. The header names the
// columns, in any order and any case: id (required), supplier, amount,
// due, received, critical. Every problem names the cell.
func (d *decoder) parseItemsCSV(f File) *itemsCSV {
	file := d.addFile(f.Name)
	out := &itemsCSV{}
	data := bytes.TrimPrefix(f.Data, []byte("\xef\xbb\xbf")) // spreadsheets write a BOM
	bom := len(f.Data) - len(data)
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	at := func(col int) loc {
		line, c := r.FieldPos(col)
		if line == 1 {
			c += bom
		}
		return loc{file, int32(line), int32(c)}
	}
	bad := func(l loc, field, msg, fix string) {
		d.problem(l, "", field, msg, fix)
	}
	header, err := r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			bad(loc{file, 0, 0}, "", "the items file is empty", "start it with a header row naming the columns, e.g. \"id,supplier,amount,due\"")
		} else {
			d.csvSyntax(file, err)
		}
		return out
	}
	cols := make([]int, len(header)) // column → item field
	var seen [len(itemFields)]int    // item field → column + 1
	ok := true
	for c, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		f := -1
		for j, n := range itemFields {
			if n == name {
				f = j
			}
		}
		switch {
		case f < 0:
			fix := didYouMean(d.sug.nearest(name, itemFields[:]))
			if fix == "" {
				fix = "the columns of an items file are " + strings.Join(itemFields[:], ", ")
			}
			bad(at(c), "", "unknown column "+strconv.Quote(shorten(h, 40)), fix)
			ok = false
		case seen[f] > 0:
			bad(at(c), "", "column "+strconv.Quote(name)+" appears twice", "keep one of the two")
			ok = false
		default:
			seen[f] = c + 1
		}
		cols[c] = f
	}
	if seen[itID] == 0 && ok {
		bad(loc{file, 1, 1}, "", "the header has no id column", "name the columns in the first row, with an id column, e.g. \"id,supplier,amount,due\"")
		ok = false
	}
	if !ok {
		return out
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			d.csvSyntax(file, err)
			return out
		}
		blank := true
		for _, cell := range rec {
			if strings.TrimSpace(cell) != "" {
				blank = false
				break
			}
		}
		if blank {
			continue // spreadsheets leave empty rows at the end
		}
		line, _ := r.FieldPos(0)
		is := itemSrc{at: loc{file, int32(line), 1}}
		if len(rec) != len(header) {
			bad(is.at, "", "this row has "+plural(len(rec), "cell")+" but the header has "+plural(len(header), "column"), "give every row one cell per column; quote cells that contain commas")
			continue
		}
		var it BacklogItem
		for c, cell := range rec {
			f := cols[c]
			l := at(c)
			is.f[f] = l
			cell = strings.TrimSpace(cell)
			if cell == "" {
				continue
			}
			col := itemFields[f]
			switch f {
			case itID:
				it.ID = cell
			case itSupplier:
				it.Supplier = cell
			case itAmount:
				v, err := strconv.ParseFloat(cell, 64)
				switch {
				case errors.Is(err, strconv.ErrRange):
					bad(l, col, strconv.Quote(shorten(cell, 40))+" is too large", "write a number below 1e300")
					is.bad |= 1 << f
				case err != nil || math.IsNaN(v) || math.IsInf(v, 0):
					bad(l, col, strconv.Quote(shorten(cell, 40))+" is not a number", "write a plain number such as 1200.50, without currency signs or thousands separators")
					is.bad |= 1 << f
				}
				it.Amount = v
			case itDue, itReceived:
				t, err := parseTime(cell, true)
				if err != nil {
					bad(l, col, strconv.Quote(shorten(cell, 40))+" is not a date (YYYY-MM-DD) or an RFC 3339 time", "write e.g. 2025-10-01 or 2025-10-01T09:00:00Z")
					is.bad |= 1 << f
				}
				if f == itDue {
					it.Due = t
				} else {
					it.Received = t
				}
			case itCritical:
				switch strings.ToLower(cell) {
				case "true", "yes", "1":
					it.Critical = true
				case "false", "no", "0":
				default:
					bad(l, col, strconv.Quote(shorten(cell, 40))+" is not true or false", "write true, false, yes, no, 1 or 0")
					is.bad |= 1 << f
				}
			}
		}
		out.items = append(out.items, it)
		out.srcs = append(out.srcs, is)
	}
	return out
}

func (d *decoder) csvSyntax(file int32, err error) {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		fix := "quote cells that contain commas, quotes or line breaks, and double any quote inside them"
		d.problem(loc{file, int32(pe.Line), int32(pe.Column)}, "", "", "not valid CSV: "+pe.Err.Error(), fix)
		return
	}
	d.problem(loc{file, 0, 0}, "", "", "not valid CSV: "+err.Error(), "save the file as CSV (comma separated, UTF-8)")
}
