package calibrate

import (
	"sort"
	"strings"
)

// regions are the hosts of the IM REST APIs by region, as the vendor lists
// them.
var regions = map[string]string{
	"china":          "console.tim.qq.com",
	"singapore":      "adminapisgp.im.qcloud.com",
	"seoul":          "adminapikr.im.qcloud.com",
	"tokyo":          "adminapijpn.im.qcloud.com",
	"frankfurt":      "adminapiger.im.qcloud.com",
	"silicon-valley": "adminapiusa.im.qcloud.com",
	"jakarta":        "adminapiidn.im.qcloud.com",
}

// RegionURL returns the base URL of a region's host, such as
// https://console.tim.qq.com for "china".
func RegionURL(name string) (string, bool) {
	host, ok := regions[strings.ToLower(name)]
	if !ok {
		return "", false
	}
	return "https://" + host, true
}

// Regions returns the names of the regions, sorted.
func Regions() []string {
	out := make([]string, 0, len(regions))
	for name := range regions {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}
