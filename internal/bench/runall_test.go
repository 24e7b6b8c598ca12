package bench
import ("context";"os";"testing")
func TestRunAll(t *testing.T){
	if os.Getenv("BENCHRUN")=="" {t.Skip()}
	if err := Run(context.Background(), os.Stdout, Config{PSPLIBDir:"/work/shared/bench/psplib", Suites: []string{"scale"}}); err!=nil {t.Fatal(err)}
}
