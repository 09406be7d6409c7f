// What docker compose reads from a .env file: compose-go's dotenv parser, with the lookup of
// variables that compose gives it (the environment). stdin holds a JSON list of .env texts;
// stdout gets, for each, the value of KEY, or null and the parser's error.
package main

import (
	"encoding/json"
	"os"
	"strings"

	"github.com/compose-spec/compose-go/v2/dotenv"
)

type reading struct {
	Value *string `json:"value"`
	Error string  `json:"error,omitempty"`
}

func main() {
	var texts []string
	if err := json.NewDecoder(os.Stdin).Decode(&texts); err != nil {
		panic(err)
	}
	readings := []reading{}
	for _, text := range texts {
		values, err := dotenv.ParseWithLookup(strings.NewReader(text), os.LookupEnv)
		r := reading{}
		if err != nil {
			r.Error = err.Error()
		} else if value, ok := values["KEY"]; ok {
			r.Value = &value
		}
		readings = append(readings, r)
	}
	if err := json.NewEncoder(os.Stdout).Encode(readings); err != nil {
		panic(err)
	}
}
