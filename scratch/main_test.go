package scratch
import ("testing";"os";"fmt";"path/filepath";"github.com/phasegate/phasegate/estate")
func TestX(t *testing.T){
	dir := os.Getenv("DIR")
	names, _ := filepath.Glob("/work/wt/estate/"+dir+"/*")
	var fs []estate.File
	for _, n := range names {
		b, _ := os.ReadFile(n)
		rel, _ := filepath.Rel("/work/wt/estate/"+dir, n)
		fs = append(fs, estate.File{Name:rel, Data:b})
	}
	_, err := estate.Parse(fs...)
	fmt.Println(err)
}
