export type BusinessModel = 'full-service' | 'low-cost';

export interface Airline {
  /** IATA designator, the prefix of its flight numbers. */
  readonly code: string;
  readonly name: string;
  /** ISO 3166-1 alpha-2 of its home market: it flies non-stop to and from there. */
  readonly country: string;
  readonly model: BusinessModel;
  /** The airport its one-stop itineraries connect through. */
  readonly hub: string;
  /** Longest sector its fleet flies non-stop, in km. */
  readonly rangeKm: number;
  /** Sells one-stop itineraries between two foreign countries through its hub (Gulf and Asian super-connectors). */
  readonly connector: boolean;
}

/** Range by fleet: narrow-bodies for low-cost and regional carriers, wide-bodies for flag carriers. */
const RANGE_KM = { 'low-cost': 4_500, regional: 6_500, 'full-service': 15_500 } as const;

interface AirlineOptions {
  readonly regional?: true;
  readonly connector?: true;
}

const airline = (code: string, name: string, country: string, model: BusinessModel, hub: string, options: AirlineOptions = {}): Airline => ({
  code,
  name,
  country,
  model,
  hub,
  rangeKm: RANGE_KM[model === 'full-service' && options.regional ? 'regional' : model],
  connector: options.connector ?? false,
});

const FULL = 'full-service';
const LOW_COST = 'low-cost';

export const AIRLINES: readonly Airline[] = [
  airline('GA', 'Garuda Indonesia', 'ID', FULL, 'CGK'),
  airline('ID', 'Batik Air', 'ID', FULL, 'CGK', { regional: true }),
  airline('JT', 'Lion Air', 'ID', LOW_COST, 'CGK'),
  airline('QZ', 'Indonesia AirAsia', 'ID', LOW_COST, 'CGK'),
  airline('QG', 'Citilink', 'ID', LOW_COST, 'CGK'),
  airline('IU', 'Super Air Jet', 'ID', LOW_COST, 'CGK'),
  airline('SQ', 'Singapore Airlines', 'SG', FULL, 'SIN', { connector: true }),
  airline('TR', 'Scoot', 'SG', LOW_COST, 'SIN'),
  airline('MH', 'Malaysia Airlines', 'MY', FULL, 'KUL'),
  airline('OD', 'Batik Air Malaysia', 'MY', FULL, 'KUL', { regional: true }),
  airline('AK', 'AirAsia', 'MY', LOW_COST, 'KUL'),
  airline('TG', 'Thai Airways', 'TH', FULL, 'BKK'),
  airline('PG', 'Bangkok Airways', 'TH', FULL, 'BKK', { regional: true }),
  airline('FD', 'Thai AirAsia', 'TH', LOW_COST, 'DMK'),
  airline('SL', 'Thai Lion Air', 'TH', LOW_COST, 'DMK'),
  airline('PR', 'Philippine Airlines', 'PH', FULL, 'MNL'),
  airline('5J', 'Cebu Pacific', 'PH', LOW_COST, 'MNL'),
  airline('VN', 'Vietnam Airlines', 'VN', FULL, 'HAN'),
  airline('VJ', 'VietJet Air', 'VN', LOW_COST, 'SGN'),
  airline('CX', 'Cathay Pacific', 'HK', FULL, 'HKG', { connector: true }),
  airline('UO', 'HK Express', 'HK', LOW_COST, 'HKG'),
  airline('CI', 'China Airlines', 'TW', FULL, 'TPE'),
  airline('BR', 'EVA Air', 'TW', FULL, 'TPE'),
  airline('CA', 'Air China', 'CN', FULL, 'PEK'),
  airline('MU', 'China Eastern Airlines', 'CN', FULL, 'PVG'),
  airline('KE', 'Korean Air', 'KR', FULL, 'ICN'),
  airline('OZ', 'Asiana Airlines', 'KR', FULL, 'ICN'),
  airline('7C', 'Jeju Air', 'KR', LOW_COST, 'ICN'),
  airline('JL', 'Japan Airlines', 'JP', FULL, 'HND'),
  airline('NH', 'All Nippon Airways', 'JP', FULL, 'HND'),
  airline('MM', 'Peach Aviation', 'JP', LOW_COST, 'KIX'),
  airline('AI', 'Air India', 'IN', FULL, 'DEL'),
  airline('6E', 'IndiGo', 'IN', LOW_COST, 'DEL'),
  airline('EK', 'Emirates', 'AE', FULL, 'DXB', { connector: true }),
  airline('FZ', 'flydubai', 'AE', LOW_COST, 'DXB'),
  airline('QR', 'Qatar Airways', 'QA', FULL, 'DOH', { connector: true }),
  airline('QF', 'Qantas', 'AU', FULL, 'SYD'),
  airline('VA', 'Virgin Australia', 'AU', FULL, 'SYD', { regional: true }),
  airline('JQ', 'Jetstar', 'AU', LOW_COST, 'MEL'),
  airline('NZ', 'Air New Zealand', 'NZ', FULL, 'AKL'),
  airline('BA', 'British Airways', 'GB', FULL, 'LHR'),
  airline('VS', 'Virgin Atlantic', 'GB', FULL, 'LHR'),
  airline('U2', 'easyJet', 'GB', LOW_COST, 'LGW'),
  airline('AF', 'Air France', 'FR', FULL, 'CDG'),
  airline('LH', 'Lufthansa', 'DE', FULL, 'FRA'),
  airline('KL', 'KLM', 'NL', FULL, 'AMS'),
  airline('AA', 'American Airlines', 'US', FULL, 'JFK'),
  airline('DL', 'Delta Air Lines', 'US', FULL, 'JFK'),
  airline('UA', 'United Airlines', 'US', FULL, 'SFO'),
  airline('B6', 'JetBlue', 'US', LOW_COST, 'JFK'),
];
