/** An airport the mock supplier knows: enough to schedule plausible flights to and from it. */
export interface Airport {
  readonly code: string;
  readonly city: string;
  /** ISO 3166-1 alpha-2: picks the carriers and the currency. */
  readonly country: string;
  /** IANA zone, so local times carry the right UTC offset for the date (daylight saving included). */
  readonly timeZone: string;
  readonly latitude: number;
  readonly longitude: number;
}

const airport = (code: string, city: string, country: string, timeZone: string, latitude: number, longitude: number): Airport => ({
  code,
  city,
  country,
  timeZone,
  latitude,
  longitude,
});

/** Indonesia first (the brief's market), then the region's hubs and a few long-haul destinations. */
export const AIRPORTS: readonly Airport[] = [
  airport('CGK', 'Jakarta', 'ID', 'Asia/Jakarta', -6.1256, 106.6559),
  airport('HLP', 'Jakarta', 'ID', 'Asia/Jakarta', -6.2666, 106.8911),
  airport('DPS', 'Denpasar', 'ID', 'Asia/Makassar', -8.7482, 115.1672),
  airport('SUB', 'Surabaya', 'ID', 'Asia/Jakarta', -7.3798, 112.7869),
  airport('KNO', 'Medan', 'ID', 'Asia/Jakarta', 3.6422, 98.8853),
  airport('UPG', 'Makassar', 'ID', 'Asia/Makassar', -5.0617, 119.554),
  airport('YIA', 'Yogyakarta', 'ID', 'Asia/Jakarta', -7.9, 110.0573),
  airport('SOC', 'Surakarta', 'ID', 'Asia/Jakarta', -7.5161, 110.7569),
  airport('BPN', 'Balikpapan', 'ID', 'Asia/Makassar', -1.2683, 116.8945),
  airport('LOP', 'Lombok', 'ID', 'Asia/Makassar', -8.7573, 116.2767),
  airport('LBJ', 'Labuan Bajo', 'ID', 'Asia/Makassar', -8.4866, 119.889),
  airport('MDC', 'Manado', 'ID', 'Asia/Makassar', 1.5493, 124.9259),
  airport('PDG', 'Padang', 'ID', 'Asia/Jakarta', -0.7869, 100.2809),
  airport('PLM', 'Palembang', 'ID', 'Asia/Jakarta', -2.8983, 104.6999),
  airport('BTH', 'Batam', 'ID', 'Asia/Jakarta', 1.121, 104.119),
  airport('PNK', 'Pontianak', 'ID', 'Asia/Pontianak', -0.1507, 109.4039),
  airport('AMQ', 'Ambon', 'ID', 'Asia/Jayapura', -3.7103, 128.0891),
  airport('DJJ', 'Jayapura', 'ID', 'Asia/Jayapura', -2.577, 140.5164),
  airport('SIN', 'Singapore', 'SG', 'Asia/Singapore', 1.3644, 103.9915),
  airport('KUL', 'Kuala Lumpur', 'MY', 'Asia/Kuala_Lumpur', 2.7456, 101.7072),
  airport('PEN', 'Penang', 'MY', 'Asia/Kuala_Lumpur', 5.2971, 100.2769),
  airport('BKI', 'Kota Kinabalu', 'MY', 'Asia/Kuching', 5.9372, 116.051),
  airport('BKK', 'Bangkok', 'TH', 'Asia/Bangkok', 13.69, 100.7501),
  airport('DMK', 'Bangkok', 'TH', 'Asia/Bangkok', 13.9126, 100.6067),
  airport('HKT', 'Phuket', 'TH', 'Asia/Bangkok', 8.1132, 98.3169),
  airport('CNX', 'Chiang Mai', 'TH', 'Asia/Bangkok', 18.7668, 98.9626),
  airport('MNL', 'Manila', 'PH', 'Asia/Manila', 14.5086, 121.0194),
  airport('CEB', 'Cebu', 'PH', 'Asia/Manila', 10.3075, 123.9794),
  airport('SGN', 'Ho Chi Minh City', 'VN', 'Asia/Ho_Chi_Minh', 10.8188, 106.6519),
  airport('HAN', 'Hanoi', 'VN', 'Asia/Ho_Chi_Minh', 21.2212, 105.8072),
  airport('HKG', 'Hong Kong', 'HK', 'Asia/Hong_Kong', 22.308, 113.9185),
  airport('TPE', 'Taipei', 'TW', 'Asia/Taipei', 25.0797, 121.2342),
  airport('PEK', 'Beijing', 'CN', 'Asia/Shanghai', 40.0799, 116.6031),
  airport('PVG', 'Shanghai', 'CN', 'Asia/Shanghai', 31.1443, 121.8083),
  airport('ICN', 'Seoul', 'KR', 'Asia/Seoul', 37.4602, 126.4407),
  airport('HND', 'Tokyo', 'JP', 'Asia/Tokyo', 35.5494, 139.7798),
  airport('NRT', 'Tokyo', 'JP', 'Asia/Tokyo', 35.772, 140.3929),
  airport('KIX', 'Osaka', 'JP', 'Asia/Tokyo', 34.4347, 135.244),
  airport('DEL', 'Delhi', 'IN', 'Asia/Kolkata', 28.5562, 77.1),
  airport('BOM', 'Mumbai', 'IN', 'Asia/Kolkata', 19.0896, 72.8656),
  airport('DXB', 'Dubai', 'AE', 'Asia/Dubai', 25.2532, 55.3657),
  airport('DOH', 'Doha', 'QA', 'Asia/Qatar', 25.2731, 51.6081),
  airport('SYD', 'Sydney', 'AU', 'Australia/Sydney', -33.9399, 151.1753),
  airport('MEL', 'Melbourne', 'AU', 'Australia/Melbourne', -37.669, 144.841),
  airport('PER', 'Perth', 'AU', 'Australia/Perth', -31.9385, 115.9672),
  airport('AKL', 'Auckland', 'NZ', 'Pacific/Auckland', -37.0082, 174.785),
  airport('LHR', 'London', 'GB', 'Europe/London', 51.47, -0.4543),
  airport('LGW', 'London', 'GB', 'Europe/London', 51.1537, -0.1821),
  airport('CDG', 'Paris', 'FR', 'Europe/Paris', 49.0097, 2.5479),
  airport('FRA', 'Frankfurt', 'DE', 'Europe/Berlin', 50.0379, 8.5622),
  airport('AMS', 'Amsterdam', 'NL', 'Europe/Amsterdam', 52.3105, 4.7683),
  airport('JFK', 'New York', 'US', 'America/New_York', 40.6413, -73.7781),
  airport('LGA', 'New York', 'US', 'America/New_York', 40.7769, -73.874),
  airport('LAX', 'Los Angeles', 'US', 'America/Los_Angeles', 33.9416, -118.4085),
  airport('SFO', 'San Francisco', 'US', 'America/Los_Angeles', 37.6213, -122.379),
];

const BY_CODE = new Map(AIRPORTS.map((entry) => [entry.code, entry]));

export function findAirport(code: string): Airport | undefined {
  return BY_CODE.get(code);
}
